package io.streamable.state;

import io.streamable.PayloadType;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.codec.PayloadCodec;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
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
    /** How many keys' last written state the store remembers; it forgets them all when full. */
    static final int MAX_CACHED_KEYS = 10_000;

    private final StateTable table;
    private final PayloadType<V> valueType;
    private final PayloadCodec<V> codec;
    private final int maxAttempts;
    private final Runnable ensureOpen;
    private final LongAdder applied = new LongAdder();
    private final LongAdder alreadyApplied = new LongAdder();
    private final LongAdder conflicts = new LongAdder();
    /**
     * The state this store last wrote per key, exactly as stored at its version. An update starts
     * from it instead of reading the key first (one round trip instead of two); the versioned write
     * still detects any other writer, and then the update re-reads the key and tries again.
     */
    private final ConcurrentHashMap<String, StoredState> lastWritten = new ConcurrentHashMap<>();

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
        Objects.requireNonNull(source, "source: use Optional.empty() for an update that is not for a message");
        Objects.requireNonNull(fn, "fn");
        return write(key, source, current -> new Change<>(Objects.requireNonNull(fn.apply(current),
                "the update function returned null; return Optional.empty() to delete the key"), Optional.empty()));
    }

    @Override
    public UpdateResult<V> computeWithOutput(String key, Source source, Function<Optional<V>, Change<V>> fn) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(fn, "fn");
        return write(key, Optional.of(source), current -> Objects.requireNonNull(fn.apply(current),
                "the update function returned null; return a Change"));
    }

    private UpdateResult<V> write(String key, Optional<Source> source, Function<Optional<V>, Change<V>> fn) {
        checkKey(key);
        ensureOpen.run();
        boolean useCache = true;
        for (int attempt = 1; attempt <= maxAttempts; ) {
            StoredState cached = useCache ? lastWritten.get(key) : null;
            Optional<StoredState> current = cached != null ? Optional.of(cached) : table.read(key);
            Optional<V> previous = current.filter(stored -> !stored.isTombstone()).map(this::decode);
            long version = current.map(StoredState::version).orElse(0L);
            Map<String, Position> positions = current.map(DefaultStateStore::positions).orElse(Map.of());
            if (source.isPresent() && source.get().isCoveredBy(positions.get(source.get().topic()))) {
                if (cached != null) {
                    // refuse only on what is stored now: the pending output may have been acknowledged since
                    useCache = false;
                    continue;
                }
                alreadyApplied.increment();
                LOG.debug("State store \"{}\" refused the update of key \"{}\" from {}: {} is already applied",
                        name(), key, source.get(), positions.get(source.get().topic()));
                Optional<PendingOutput> pending = current.flatMap(stored -> pendingOf(stored, source.get()));
                return new UpdateResult<>(key, UpdateResult.Status.ALREADY_APPLIED, previous, previous, version, pending);
            }
            Change<V> change = fn.apply(previous);
            Optional<V> next = change.value();
            if (current.isEmpty() && next.isEmpty() && source.isEmpty()) {
                // deleting a key that never existed: nothing to record
                return new UpdateResult<>(key, UpdateResult.Status.APPLIED, previous, next, 0);
            }
            Map<String, Position> nextPositions = source.map(s -> s.recordOnto(positions)).orElse(positions);
            Map<String, byte[]> outbox = current.map(StoredState::outbox).orElse(Map.of());
            Optional<PendingOutput> stored = Optional.empty();
            if (change.output().isPresent()) {
                PendingOutput pending = new PendingOutput(key, source.orElseThrow(), version + 1, change.output().get());
                Map<String, byte[]> grown = new HashMap<>(outbox);
                grown.put(source.get().toString(), envelope(pending));
                outbox = grown;
                stored = Optional.of(pending);
            }
            StoredState written = new StoredState(key, version + 1, next.map(codec::encode), encode(nextPositions),
                    outbox);
            boolean won = current.isEmpty() ? table.insert(written) : table.replace(written, version);
            if (won) {
                remember(written);
                applied.increment();
                return new UpdateResult<>(key, UpdateResult.Status.APPLIED, previous, next, version + 1, stored);
            }
            // another writer moved the key on, since this store wrote it or while fn ran: re-read it
            if (cached != null) {
                lastWritten.remove(key, cached);
            }
            useCache = false;
            conflicts.increment();
            backoff(attempt);
            attempt++;
        }
        throw new StateConflictException(name(), key, maxAttempts);
    }

    private void remember(StoredState written) {
        if (lastWritten.size() >= MAX_CACHED_KEYS && !lastWritten.containsKey(written.key())) {
            lastWritten.clear(); // bounded without an LRU's lock per update: the next update of each key reads it
        }
        lastWritten.put(written.key(), written);
    }

    @Override
    public boolean acknowledge(String key, Source source) {
        checkKey(key);
        Objects.requireNonNull(source, "source");
        ensureOpen.run();
        String entry = source.toString();
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            Optional<StoredState> current = table.read(key);
            if (current.isEmpty() || !current.get().outbox().containsKey(entry)) {
                return false;
            }
            StoredState stored = current.get();
            Map<String, byte[]> outbox = new HashMap<>(stored.outbox());
            outbox.remove(entry);
            StoredState written = new StoredState(key, stored.version() + 1, stored.value(), stored.applied(), outbox);
            if (table.replace(written, stored.version())) {
                remember(written);
                return true;
            }
            lastWritten.remove(key);
            conflicts.increment();
            backoff(attempt);
        }
        throw new StateConflictException(name(), key, maxAttempts);
    }

    @Override
    public void forEachPending(java.util.function.Consumer<PendingOutput> action) {
        Objects.requireNonNull(action, "action");
        ensureOpen.run();
        table.scanPending(stored -> stored.outbox().forEach((entry, bytes) -> action.accept(unwrap(stored.key(),
                parseSource(entry), bytes))));
    }

    private Optional<PendingOutput> pendingOf(StoredState stored, Source source) {
        byte[] bytes = stored.outbox().get(source.toString());
        return bytes == null ? Optional.empty() : Optional.of(unwrap(stored.key(), source, bytes));
    }

    /** The framework's outbox entry: the version that stored it (8 bytes), then the caller's bytes. */
    private static byte[] envelope(PendingOutput pending) {
        return ByteBuffer.allocate(Long.BYTES + pending.output().length).putLong(pending.version())
                .put(pending.output()).array();
    }

    private PendingOutput unwrap(String key, Source source, byte[] entry) {
        if (entry.length < Long.BYTES) {
            throw new StreamableException("The outbox entry of " + source + " for key \"" + key + "\" in state store \""
                    + name() + "\" is " + entry.length + " bytes, too short to be one this framework wrote");
        }
        ByteBuffer buffer = ByteBuffer.wrap(entry);
        long version = buffer.getLong();
        byte[] output = new byte[buffer.remaining()];
        buffer.get(output);
        return new PendingOutput(key, source, version, output);
    }

    private static Source parseSource(String entry) {
        int at = entry.lastIndexOf('@');
        return new Source(entry.substring(0, at), Position.parse(entry.substring(at + 1)));
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
