package io.streamable.state;

import io.streamable.PayloadType;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.codec.PayloadCodec;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Typing, optimistic concurrency and apply-once over a {@link StateTable}. Every write is one
 * conditional write of the whole key (value, version and recorded positions together), so the
 * value and the record of what was applied to it can never disagree.
 */
final class DefaultStateStore<V> implements StateStore<V> {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStateStore.class);
    /** Keys must fit in backend indexes (MongoDB's _id) with room to spare. */
    static final int MAX_KEY_LENGTH = 512;
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final StateTable table;
    private final PayloadType<V> valueType;
    private final PayloadCodec<V> codec;
    private final int maxAttempts;
    private final Runnable ensureOpen;
    private final LongAdder applied = new LongAdder();
    private final LongAdder alreadyApplied = new LongAdder();
    private final LongAdder conflicts = new LongAdder();

    DefaultStateStore(StateTable table, PayloadType<V> valueType, PayloadCodec<V> codec, int maxAttempts,
                      Runnable ensureOpen) {
        this.table = table;
        this.valueType = valueType;
        this.codec = codec;
        this.maxAttempts = maxAttempts;
        this.ensureOpen = ensureOpen;
    }

    @Override
    public String name() {
        return table.name();
    }

    @Override
    public PayloadType<V> valueType() {
        return valueType;
    }

    @Override
    public Optional<V> get(String key) {
        return read(key).map(Versioned::value);
    }

    @Override
    public Optional<Versioned<V>> read(String key) {
        checkKey(key);
        ensureOpen.run();
        return table.read(key).filter(stored -> !stored.isTombstone())
                .map(stored -> new Versioned<>(key, decode(stored), stored.version(), positions(stored)));
    }

    @Override
    public UpdateResult<V> compute(String key, Optional<Source> source, Function<Optional<V>, Optional<V>> fn) {
        checkKey(key);
        Objects.requireNonNull(source, "source: use Optional.empty() for an update that is not for a message");
        Objects.requireNonNull(fn, "fn");
        ensureOpen.run();
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            Optional<StoredState> current = table.read(key);
            Optional<V> previous = current.filter(stored -> !stored.isTombstone()).map(this::decode);
            long version = current.map(StoredState::version).orElse(0L);
            Map<String, Position> positions = current.map(DefaultStateStore::positions).orElse(Map.of());
            if (source.isPresent() && source.get().isCoveredBy(positions.get(source.get().topic()))) {
                alreadyApplied.increment();
                LOG.debug("State store \"{}\" refused the update of key \"{}\" from {}: {} is already applied",
                        name(), key, source.get(), positions.get(source.get().topic()));
                return new UpdateResult<>(key, UpdateResult.Status.ALREADY_APPLIED, previous, previous, version);
            }
            Optional<V> next = Objects.requireNonNull(fn.apply(previous),
                    "the update function returned null; return Optional.empty() to delete the key");
            if (current.isEmpty() && next.isEmpty() && source.isEmpty()) {
                // deleting a key that never existed: nothing to record
                return new UpdateResult<>(key, UpdateResult.Status.APPLIED, previous, next, 0);
            }
            Map<String, Position> nextPositions = source.map(s -> s.recordOnto(positions)).orElse(positions);
            StoredState written = new StoredState(key, version + 1, next.map(codec::encode), encode(nextPositions));
            boolean won = current.isEmpty() ? table.insert(written) : table.replace(written, version);
            if (won) {
                applied.increment();
                return new UpdateResult<>(key, UpdateResult.Status.APPLIED, previous, next, version + 1);
            }
            conflicts.increment();
            backoff(attempt);
        }
        throw new StateConflictException(name(), key, maxAttempts);
    }

    @Override
    public SortedMap<String, V> entries(String prefix) {
        SortedMap<String, V> entries = new TreeMap<>();
        forEach(prefix, entries::put);
        return Collections.unmodifiableSortedMap(entries);
    }

    @Override
    public void forEach(String prefix, BiConsumer<String, V> action) {
        Objects.requireNonNull(prefix, "prefix: use \"\" for every key");
        Objects.requireNonNull(action, "action");
        ensureOpen.run();
        table.scan(prefix, stored -> {
            if (!stored.isTombstone()) {
                action.accept(stored.key(), decode(stored));
            }
        });
    }

    @Override
    public Optional<Position> appliedPosition(String key, String topic) {
        checkKey(key);
        Objects.requireNonNull(topic, "topic");
        ensureOpen.run();
        return table.read(key).map(stored -> stored.applied().get(topic)).map(Position::parse);
    }

    @Override
    public StateStoreStats stats() {
        return new StateStoreStats(applied.sum(), alreadyApplied.sum(), conflicts.sum());
    }

    private V decode(StoredState stored) {
        try {
            return codec.decode(stored.value().orElseThrow());
        } catch (RuntimeException e) {
            throw new StreamableException("The value of key \"" + stored.key() + "\" in state store \"" + name()
                    + "\" does not decode as " + valueType + ": " + e.getMessage() + ". Make the value type able to"
                    + " read the stored data (optional properties, defaults), or open the store with the type it"
                    + " was written with.", e);
        }
    }

    private static Map<String, Position> positions(StoredState stored) {
        Map<String, Position> positions = new LinkedHashMap<>();
        stored.applied().forEach((topic, position) -> positions.put(topic, Position.parse(position)));
        return positions;
    }

    private static Map<String, String> encode(Map<String, Position> positions) {
        Map<String, String> encoded = new LinkedHashMap<>();
        positions.forEach((topic, position) -> encoded.put(topic, position.encode()));
        return encoded;
    }

    /** Spreads retrying writers apart so they do not collide again in lock step. */
    private static void backoff(int attempt) {
        if (attempt < 2) {
            return;
        }
        long bound = Math.min(MAX_BACKOFF_NANOS, TimeUnit.MICROSECONDS.toNanos(50L << Math.min(attempt, 10)));
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(bound));
    }

    private void checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("A state key must be a non-empty string (store \"" + name()
                    + "\"), for example an account id");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("State key of " + key.length() + " characters is too long for store \""
                    + name() + "\"; the limit is " + MAX_KEY_LENGTH + ". Use a shorter id or a hash of it");
        }
    }

    @Override
    public String toString() {
        return "StateStore[" + name() + "<" + valueType + ">]";
    }
}
