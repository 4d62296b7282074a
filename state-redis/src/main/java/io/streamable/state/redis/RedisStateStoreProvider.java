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
 * Persistence and replication are Redis's: configure AOF ({@code appendfsync always} or
 * {@code everysec}) if state must survive a Redis restart.
 */
public final class RedisStateStoreProvider implements StateStoreProvider {
    /** The URL option naming the prefix of every Redis key written. */
    public static final String KEY_PREFIX_OPTION = "keyPrefix";
    /** The default key prefix. */
    public static final String DEFAULT_KEY_PREFIX = "streamable:state:";

    private static final Set<String> OWN_OPTIONS = Set.of(KEY_PREFIX_OPTION);

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
        return new RedisStateBackend(RedisClient.create(uri), prefix, url.masked());
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
