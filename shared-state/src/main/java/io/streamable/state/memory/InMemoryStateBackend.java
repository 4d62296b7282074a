package io.streamable.state.memory;

import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** State in a sorted concurrent map per store; conditional writes are atomic map operations. */
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
        return new Table(storeName, space.tables.computeIfAbsent(storeName, n -> new ConcurrentSkipListMap<>()));
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
    }

    private record Table(String name, ConcurrentNavigableMap<String, StoredState> rows) implements StateTable {

        @Override
        public Optional<StoredState> read(String key) {
            return Optional.ofNullable(rows.get(key));
        }

        @Override
        public boolean insert(StoredState state) {
            return rows.putIfAbsent(state.key(), state) == null;
        }

        @Override
        public boolean replace(StoredState state, long expectedVersion) {
            // ConcurrentSkipListMap may run the function several times and keep only the last
            // run's result, so the flag must describe that run alone
            boolean[] replaced = {false};
            rows.computeIfPresent(state.key(), (key, current) -> {
                replaced[0] = current.version() == expectedVersion;
                return replaced[0] ? state : current;
            });
            return replaced[0];
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
