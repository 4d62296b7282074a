package io.streamable.state.redis;

import io.streamable.backend.BackendUrl;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateStoreProvider;
import redis.clients.jedis.RedisClient;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Opens {@code redis://} and {@code rediss://} (TLS) state URLs with Jedis, for example
 * {@code redis://:secret@cache:6379/2?keyPrefix=bank:state:}.
 *
 * <h2>Layout</h2>
 * Every Redis key starts with the {@value #KEY_PREFIX_OPTION} option (default
 * {@value #DEFAULT_KEY_PREFIX}) followed by the store name:
 * <ul>
 *   <li>{@code PREFIX STORE :k: KEY} is a hash per state key: field {@code v} the version,
 *       {@code d} the encoded value (absent on a tombstone), {@code a:TOPIC} the encoded
 *       position of the newest message of {@code TOPIC} applied to the key;</li>
 *   <li>{@code PREFIX STORE :keys} is a sorted set of the store's keys, all with score 0, for
 *       prefix lookups in key order ({@code ZRANGEBYLEX}).</li>
 * </ul>
 * Writes are Lua scripts, which Redis runs atomically: an insert writes the hash only if it does
 * not exist (and adds the key to the index); a replace rewrites the hash only if its {@code v}
 * field still holds the version that was read. That compare-and-set gives the same guarantees as
 * the other state backends: the value and its applied positions change together or not at all.
 * {@code PREFIX STORE :pending} is a set of the keys with output not yet acknowledged (the
 * outbox index, see {@link io.streamable.state.StateStore#computeWithOutput}); the scripts keep it
 * in the same atomic step, and the output itself is in the key's hash, field {@code o:SOURCE}.
 *
 * <h2>Durability</h2>
 * Redis acknowledges a write before it is on disk unless AOF is on. A state store whose updates
 * are lost by a Redis restart while the input consumers' positions have moved past the messages
 * that made them silently misses those messages forever. So on open (or on first use, if Redis
 * is down at open) the store runs {@code CONFIG GET appendonly appendfsync} and refuses, with an
 * {@link IllegalStateException} saying how to fix it, a server without {@code appendonly yes}
 * and {@code appendfsync everysec} or {@code always} ({@code everysec} can still lose up to a
 * second of writes on a power loss; {@code always} loses none). Add
 * {@code ?durability=none} to the URL to skip the check and accept the risk (for caches, tests,
 * or managed servers that forbid {@code CONFIG} and are known to persist).
 */
public final class RedisStateStoreProvider implements StateStoreProvider {
    /** The URL option naming the prefix of every Redis key written. */
    public static final String KEY_PREFIX_OPTION = "keyPrefix";
    /** The default key prefix. */
    public static final String DEFAULT_KEY_PREFIX = "streamable:state:";

    /** The URL option choosing what persistence the server must have. */
    public static final String DURABILITY_OPTION = "durability";
    /** {@value #DURABILITY_OPTION} value, the default: require AOF ({@code appendonly yes}, fsync everysec or always). */
    public static final String DURABILITY_AOF = "aof";
    /** {@value #DURABILITY_OPTION} value: do not check; accept losing recent updates when Redis restarts. */
    public static final String DURABILITY_NONE = "none";

    private static final Set<String> OWN_OPTIONS = Set.of(KEY_PREFIX_OPTION, DURABILITY_OPTION);

    @Override
    public String scheme() {
        return "redis";
    }

    @Override
    public Set<String> aliases() {
        return Set.of("rediss");
    }

    @Override
    public String artifact() {
        return "io.streamable:state-redis";
    }

    @Override
    public StateBackend open(BackendUrl url) {
        String prefix = url.option(KEY_PREFIX_OPTION).orElse(DEFAULT_KEY_PREFIX);
        URI uri;
        try {
            uri = new URI(withoutOwnOptions(url.raw()));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Not a valid Redis state URL: " + url.masked()
                    + ". Use for example redis://localhost:6379 or redis://:password@host:6379/0", e);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("The Redis state URL " + url.masked() + " names no host. Use for"
                    + " example redis://localhost:6379 or redis://:password@host:6379/0");
        }
        String durability = url.option(DURABILITY_OPTION).orElse(DURABILITY_AOF);
        if (!durability.equals(DURABILITY_AOF) && !durability.equals(DURABILITY_NONE)) {
            throw new IllegalArgumentException("Unknown " + DURABILITY_OPTION + "=" + durability + " in the Redis state URL "
                    + url.masked() + "; use " + DURABILITY_AOF + " (the default: the server must have AOF on) or "
                    + DURABILITY_NONE + " (accept losing recent updates when Redis restarts)");
        }
        if (durability.equals(DURABILITY_NONE)) {
            org.slf4j.LoggerFactory.getLogger(RedisStateStoreProvider.class).warn("Redis state store {} opened with {}={}:"
                    + " its persistence is not checked; a Redis restart may lose acknowledged state updates whose"
                    + " messages are never applied again", url.masked(), DURABILITY_OPTION, DURABILITY_NONE);
        }
        return new RedisStateBackend(RedisClient.create(uri), prefix, url.masked(), durability.equals(DURABILITY_AOF));
    }

    /** The URL for Jedis: ours minus the options only this module understands. */
    static String withoutOwnOptions(String raw) {
        int query = raw.indexOf('?');
        if (query < 0) {
            return raw;
        }
        List<String> kept = new ArrayList<>();
        for (String pair : raw.substring(query + 1).split("&")) {
            String name = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            if (!pair.isEmpty() && !OWN_OPTIONS.contains(name)) {
                kept.add(pair);
            }
        }
        return raw.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }
}
