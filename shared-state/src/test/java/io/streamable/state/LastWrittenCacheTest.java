package io.streamable.state;

import io.streamable.PayloadType;
import io.streamable.json.JsonCodecFactory;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's cache of the state it last wrote per key: an update after this store's own write
 * costs one round trip (the versioned write), and a write by any other writer is still detected by
 * that versioned write and answered by re-reading the key.
 */
class LastWrittenCacheTest {
    private static final PayloadType<Long> LONG = PayloadType.of(Long.class);

    /** Two processes' stores over one table: each has its own cache, as separate processes would. */
    private final CountingTable table = new CountingTable();
    private final StateStore<Long> mine = store(table);
    private final StateStore<Long> theirs = store(table);

    private static StateStore<Long> store(StateTable table) {
        return new DefaultStateStore<>(table, LONG, JsonCodecFactory.defaults().codecFor(LONG), 10, () -> { });
    }

    @Test
    @DisplayName("an update after this store's own write skips the read: one round trip")
    void ownWritesNeedNoRead() {
        mine.update("k", current -> 1L);
        int readsAfterFirst = table.reads.get();

        for (int i = 0; i < 5; i++) {
            mine.update("k", Source.of("orders", 10 + i), current -> current.orElseThrow() + 1);
        }

        assertThat(table.reads.get()).isEqualTo(readsAfterFirst);
        assertThat(table.writes.get()).isEqualTo(6);
        assertThat(mine.get("k")).contains(6L);
        assertThat(mine.stats().conflicts()).isZero();
    }

    @Test
    @DisplayName("a write by another process is detected by the versioned write and the update re-reads")
    void anotherWriterIsDetected() {
        mine.update("k", current -> 1L);
        theirs.update("k", current -> current.orElseThrow() + 10);

        UpdateResult<Long> result = mine.update("k", current -> current.orElseThrow() + 100);

        assertThat(result.previous()).contains(11L);
        assertThat(result.value()).contains(111L);
        assertThat(theirs.get("k")).contains(111L);
        assertThat(mine.stats().conflicts()).isEqualTo(1);
        // and the store now caches what it wrote: the next update needs no read again
        int reads = table.reads.get();
        mine.update("k", current -> current.orElseThrow() + 1);
        assertThat(table.reads.get()).isEqualTo(reads);
        assertThat(theirs.get("k")).contains(112L);
    }

    @Test
    @DisplayName("a message another process applied since this store's write is refused, not applied twice")
    void applyOnceHoldsAcrossProcesses() {
        mine.update("k", Source.of("orders", 5), current -> 1L);
        theirs.update("k", Source.of("orders", 6), current -> current.orElseThrow() + 1);

        UpdateResult<Long> result = mine.update("k", Source.of("orders", 6), current -> current.orElseThrow() + 1000);

        assertThat(result.status()).isEqualTo(UpdateResult.Status.ALREADY_APPLIED);
        assertThat(mine.get("k")).contains(2L);
    }

    @Test
    @DisplayName("a refusal is decided on the stored state: pending output acknowledged elsewhere is not returned")
    void alreadyAppliedRereads() {
        Source source = Source.of("orders", 7);
        mine.computeWithOutput("k", source, current -> new Change<>(Optional.of(1L), Optional.of(new byte[] {42})));
        assertThat(theirs.acknowledge("k", source)).isTrue();
        int reads = table.reads.get();

        UpdateResult<Long> again = mine.computeWithOutput("k", source,
                current -> new Change<>(Optional.of(2L), Optional.of(new byte[] {43})));

        assertThat(again.status()).isEqualTo(UpdateResult.Status.ALREADY_APPLIED);
        assertThat(again.pending()).isEmpty();
        assertThat(table.reads.get()).isEqualTo(reads + 1);
        assertThat(mine.get("k")).contains(1L);
    }

    @Test
    @DisplayName("a key deleted behind the store's back is written again, not lost")
    void keyRemovedElsewhere() {
        mine.update("k", current -> 1L);
        table.states.clear();

        UpdateResult<Long> result = mine.update("k", current -> current.orElse(0L) + 5);

        assertThat(result.value()).contains(5L);
        assertThat(theirs.get("k")).contains(5L);
    }

    /** A table in a map that counts round trips. */
    private static final class CountingTable implements StateTable {
        final Map<String, StoredState> states = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();

        @Override
        public String name() {
            return "counted";
        }

        @Override
        public Optional<StoredState> read(String key) {
            reads.incrementAndGet();
            return Optional.ofNullable(states.get(key));
        }

        @Override
        public boolean insert(StoredState state) {
            writes.incrementAndGet();
            return states.putIfAbsent(state.key(), state) == null;
        }

        @Override
        public boolean replace(StoredState state, long expectedVersion) {
            writes.incrementAndGet();
            StoredState[] replaced = {null};
            states.computeIfPresent(state.key(), (key, current) -> {
                if (current.version() == expectedVersion) {
                    replaced[0] = current;
                    return state;
                }
                return current;
            });
            return replaced[0] != null;
        }

        @Override
        public void scan(String prefix, Consumer<StoredState> sink) {
            states.values().stream().filter(state -> state.key().startsWith(prefix)).forEach(sink);
        }
    }
}
