package io.streamable.state.redis;

import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** A hash per key and a lexicographic index per store; see {@link RedisStateStoreProvider}. */
final class RedisStateBackend implements StateBackend {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStateBackend.class);
    private static final byte[] VERSION = bytes("v");
    private static final byte[] VALUE = bytes("d");
    private static final String APPLIED_PREFIX = "a:";
    private static final String OUTBOX_PREFIX = "o:";
    private static final byte[] PENDING = bytes("1");
    private static final byte[] NOT_PENDING = bytes("0");
    private static final int SCAN_PAGE = 500;

    /**
     * KEYS[1] hash, KEYS[2] index, KEYS[3] outbox index; ARGV[1] the member, ARGV[2] "1" if the
     * key has pending output, ARGV[3..] field/value pairs.
     */
    private static final byte[] INSERT = bytes("""
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], unpack(ARGV, 3))
            redis.call('ZADD', KEYS[2], 0, ARGV[1])
            if ARGV[2] == '1' then redis.call('SADD', KEYS[3], ARGV[1]) end
            return 1""");
    /**
     * KEYS[1] hash, KEYS[2] outbox index; ARGV[1] the expected version, ARGV[2] the member,
     * ARGV[3] "1" if the key has pending output, ARGV[4..] field/value pairs.
     */
    private static final byte[] REPLACE = bytes("""
            if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], unpack(ARGV, 4))
            if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[2]) else redis.call('SREM', KEYS[2], ARGV[2]) end
            return 1""");

    private final RedisClient redis;
    private final String keyPrefix;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Whether the server's persistence has been checked (or the check was waived). */
    private volatile boolean durabilityChecked;

    RedisStateBackend(RedisClient redis, String keyPrefix, String description, boolean checkDurability) {
        this.redis = redis;
        this.keyPrefix = keyPrefix;
        this.description = description;
        this.durabilityChecked = !checkDurability;
        if (checkDurability) {
            try {
                checkDurability();
            } catch (JedisConnectionException e) {
                // Redis is down right now: open anyway, as the other backends do, and check on the
                // first operation that reaches it
                LOG.debug("Redis at {} is not reachable at open; its persistence is checked on first use", description);
            } catch (RuntimeException e) {
                redis.close();
                throw e;
            }
        }
    }

    /**
     * Refuses a server that does not persist every acknowledged write: without AOF a Redis restart
     * loses recent state updates while the input topics' consumers have saved positions past the
     * messages that made them, so those messages would never be applied again (the state silently
     * misses them). RDB snapshots alone lose everything since the last snapshot.
     */
    private void checkDurability() {
        Map<String, String> config = new java.util.HashMap<>();
        try {
            // one parameter per call: CONFIG GET with several needs Redis 7
            config.putAll(redis.configGet("appendonly"));
            config.putAll(redis.configGet("appendfsync"));
        } catch (JedisConnectionException e) {
            throw e;
        } catch (JedisException e) {
            throw new IllegalStateException("Could not check that Redis at " + description + " persists state updates"
                    + " (CONFIG GET appendonly failed: " + e.getMessage() + "). Without AOF a Redis restart loses"
                    + " acknowledged updates while the input topics' positions have moved past them. If this Redis"
                    + " persists every write (AOF with appendfsync everysec or always), or you accept that risk, add"
                    + " " + RedisStateStoreProvider.DURABILITY_OPTION + "=" + RedisStateStoreProvider.DURABILITY_NONE
                    + " to the state URL", e);
        }
        String appendOnly = lower(config.get("appendonly"));
        String fsync = lower(config.get("appendfsync"));
        if (!"yes".equals(appendOnly) || !("everysec".equals(fsync) || "always".equals(fsync))) {
            throw new IllegalStateException("Redis at " + description + " does not persist state updates durably"
                    + " (appendonly " + appendOnly + ", appendfsync " + fsync + "): after a Redis restart it would have"
                    + " lost acknowledged updates while the input topics' consumer positions have moved past them, so"
                    + " those messages would never be applied. Enable AOF on the server (appendonly yes with"
                    + " appendfsync everysec, or always to lose nothing, in redis.conf or with CONFIG SET), or accept"
                    + " the risk by adding " + RedisStateStoreProvider.DURABILITY_OPTION + "="
                    + RedisStateStoreProvider.DURABILITY_NONE + " to the state URL");
        }
        durabilityChecked = true;
    }

    private static String lower(String value) {
        return value == null ? "unknown" : value.toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public StateTable table(String storeName) {
        if (closed.get()) {
            throw new IllegalStateException("The state backend " + description + " is closed; open a new one");
        }
        return new Table(storeName);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            redis.close();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private final class Table implements StateTable {
        private final String name;
        private final String hashPrefix;
        private final byte[] index;
        private final byte[] pending;

        Table(String name) {
            this.name = name;
            this.hashPrefix = keyPrefix + name + ":k:";
            this.index = bytes(keyPrefix + name + ":keys");
            this.pending = bytes(keyPrefix + name + ":pending");
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Optional<StoredState> read(String key) {
            return call("read key \"" + key + "\"", () -> toState(key, redis.hgetAll(hash(key))));
        }

        @Override
        public boolean insert(StoredState state) {
            List<byte[]> args = new ArrayList<>();
            args.add(bytes(state.key()));
            args.add(state.hasPendingOutput() ? PENDING : NOT_PENDING);
            args.addAll(fields(state));
            return call("insert key \"" + state.key() + "\"", () ->
                    ((Number) redis.eval(INSERT, List.of(hash(state.key()), index, pending), args)).intValue() == 1);
        }

        @Override
        public boolean replace(StoredState state, long expectedVersion) {
            List<byte[]> args = new ArrayList<>();
            args.add(bytes(Long.toString(expectedVersion)));
            args.add(bytes(state.key()));
            args.add(state.hasPendingOutput() ? PENDING : NOT_PENDING);
            args.addAll(fields(state));
            return call("replace key \"" + state.key() + "\"", () ->
                    ((Number) redis.eval(REPLACE, List.of(hash(state.key()), pending), args)).intValue() == 1);
        }

        @Override
        public void scanPending(Consumer<StoredState> sink) {
            List<String> keys = new ArrayList<>();
            call("look up pending output", () -> {
                redis.smembers(pending).forEach(member -> keys.add(new String(member, StandardCharsets.UTF_8)));
                return null;
            });
            for (String key : keys) {
                read(key).filter(StoredState::hasPendingOutput).ifPresent(sink);
            }
        }

        @Override
        @SuppressWarnings("deprecation") // ZRANGEBYLEX, unlike ZRANGE ... BYLEX, also works before Redis 6.2
        public void scan(String prefix, Consumer<StoredState> sink) {
            // UTF-8 never contains 0xFF, so "(prefix\xFF" bounds every key that starts with prefix
            byte[] max = prefix.isEmpty() ? bytes("+") : concat(bytes("(" + prefix), new byte[] {(byte) 0xFF});
            byte[] min = prefix.isEmpty() ? bytes("-") : bytes("[" + prefix);
            List<String> keys = new ArrayList<>();
            call("scan prefix \"" + prefix + "\"", () -> {
                for (int offset = 0; ; offset += SCAN_PAGE) {
                    List<byte[]> page = redis.zrangeByLex(index, min, max, offset, SCAN_PAGE);
                    page.forEach(member -> keys.add(new String(member, StandardCharsets.UTF_8)));
                    if (page.size() < SCAN_PAGE) {
                        return null;
                    }
                }
            });
            keys.sort(null); // Redis orders by bytes; the contract orders by String.compareTo
            for (String key : keys) {
                read(key).ifPresent(sink);
            }
        }

        private byte[] hash(String key) {
            return bytes(hashPrefix + key);
        }

        private List<byte[]> fields(StoredState state) {
            List<byte[]> fields = new ArrayList<>();
            fields.add(VERSION);
            fields.add(bytes(Long.toString(state.version())));
            state.value().ifPresent(value -> {
                fields.add(VALUE);
                fields.add(value);
            });
            state.applied().forEach((topic, position) -> {
                fields.add(bytes(APPLIED_PREFIX + topic));
                fields.add(bytes(position));
            });
            state.outbox().forEach((source, output) -> {
                fields.add(bytes(OUTBOX_PREFIX + source));
                fields.add(output);
            });
            return fields;
        }

        private Optional<StoredState> toState(String key, Map<byte[], byte[]> hash) {
            if (hash == null || hash.isEmpty()) {
                return Optional.empty();
            }
            long version = 0;
            byte[] value = null;
            Map<String, String> applied = new LinkedHashMap<>();
            Map<String, byte[]> outbox = new LinkedHashMap<>();
            for (Map.Entry<byte[], byte[]> field : hash.entrySet()) {
                if (Arrays.equals(field.getKey(), VERSION)) {
                    version = Long.parseLong(new String(field.getValue(), StandardCharsets.UTF_8));
                } else if (Arrays.equals(field.getKey(), VALUE)) {
                    value = field.getValue();
                } else {
                    String fieldName = new String(field.getKey(), StandardCharsets.UTF_8);
                    if (fieldName.startsWith(APPLIED_PREFIX)) {
                        applied.put(fieldName.substring(APPLIED_PREFIX.length()),
                                new String(field.getValue(), StandardCharsets.UTF_8));
                    } else if (fieldName.startsWith(OUTBOX_PREFIX)) {
                        outbox.put(fieldName.substring(OUTBOX_PREFIX.length()), field.getValue());
                    }
                }
            }
            return Optional.of(new StoredState(key, version, Optional.ofNullable(value), applied, outbox));
        }

        private <R> R call(String what, Supplier<R> operation) {
            try {
                if (!durabilityChecked) {
                    checkDurability();
                }
                return operation.get();
            } catch (JedisConnectionException e) {
                throw new BackendUnavailableException("Could not " + what + " in state store \"" + name + "\" on "
                        + description + ": " + e.getMessage() + ". Check that Redis is reachable.", e);
            } catch (JedisException e) {
                throw new StreamableException("Redis refused to " + what + " in state store \"" + name + "\" on "
                        + description + ": " + e.getMessage(), e);
            }
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }

    @Override
    public String toString() {
        return "RedisStateBackend[" + description + "]";
    }
}
