package io.streamable.state.memory;

import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * State in a sorted concurrent map per store; conditional writes are atomic map operations. The
 * keys with pending output are also kept in a set per store, brought up to date after each write.
 */
final class InMemoryStateBackend implements StateBackend {
    private final Space space;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

    InMemoryStateBackend(Space space, String description) {
        this.space = space;
        this.description = description;
    }

    @Override
    public StateTable table(String storeName) {
        if (closed.get()) {
            throw new IllegalStateException("The state backend " + description + " is closed; open a new one");
        }
        return new Table(storeName, space.tables.computeIfAbsent(storeName, n -> new ConcurrentSkipListMap<>()),
                space.pending.computeIfAbsent(storeName, n -> new ConcurrentSkipListSet<>()));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        closed.set(true);
    }

    /** Every table of one {@code memory:NAME}. */
    static final class Space {
        final Map<String, ConcurrentNavigableMap<String, StoredState>> tables = new ConcurrentHashMap<>();
        /** Per store, the keys with pending output: the outbox index. */
        final Map<String, ConcurrentSkipListSet<String>> pending = new ConcurrentHashMap<>();
    }

    private record Table(String name, ConcurrentNavigableMap<String, StoredState> rows,
                         ConcurrentSkipListSet<String> pending) implements StateTable {

        @Override
        public Optional<StoredState> read(String key) {
            return Optional.ofNullable(rows.get(key));
        }

        @Override
        public boolean insert(StoredState state) {
            if (rows.putIfAbsent(state.key(), state) != null) {
                return false;
            }
            if (state.hasPendingOutput()) {
                reindex(state.key());
            }
            return true;
        }

        @Override
        public boolean replace(StoredState state, long expectedVersion) {
            // ConcurrentSkipListMap may run the function several times and keep only the last
            // run's result, so the flag must describe that run alone
            boolean[] replaced = {false, false};
            rows.computeIfPresent(state.key(), (key, current) -> {
                replaced[0] = current.version() == expectedVersion;
                replaced[1] = current.hasPendingOutput();
                return replaced[0] ? state : current;
            });
            // a write that neither had nor has pending output leaves the index as it is (another
            // writer's fix-up still under way sees this write and decides again)
            if (replaced[0] && (replaced[1] || state.hasPendingOutput())) {
                reindex(state.key());
            }
            return replaced[0];
        }

        /**
         * Makes the outbox index agree with the key's row without a lock: decide from the row,
         * update the index, and repeat if the row changed meanwhile. Each write is a new object, so
         * an unchanged reference means no write came in between; the last index update of all
         * writers is therefore always based on the current row.
         */
        private void reindex(String key) {
            StoredState seen = rows.get(key);
            while (true) {
                if (seen != null && seen.hasPendingOutput()) {
                    pending.add(key);
                } else {
                    pending.remove(key);
                }
                StoredState now = rows.get(key);
                if (now == seen) {
                    return;
                }
                seen = now;
            }
        }

        @Override
        public void scanPending(Consumer<StoredState> sink) {
            for (String key : pending) {
                StoredState state = rows.get(key);
                if (state != null && state.hasPendingOutput()) {
                    sink.accept(state);
                }
            }
        }

        @Override
        public void scan(String prefix, Consumer<StoredState> sink) {
            for (Map.Entry<String, StoredState> entry : rows.tailMap(prefix, true).entrySet()) {
                if (!entry.getKey().startsWith(prefix)) {
                    return;
                }
                sink.accept(entry.getValue());
            }
        }
    }
}
