package io.streamable.backend.mongoredis;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;

/**
 * Opens {@code mongoredis:} URLs: topics stored in MongoDB, one collection per topic and one
 * document per message, with Redis pub/sub signals that wake waiting consumers.
 *
 * <pre>{@code
 * mongoredis://user:secret@db1:27017,db2:27017/topics?replicaSet=rs0&redis=redis://:secret@cache:6379
 * }</pre>
 *
 * <p>The host list, database (the path, default {@code streamable}), credentials and every option
 * this backend does not read itself go to the MongoDB driver unchanged, exactly as in a
 * {@code mongodb://} connection string ({@code tls=true}, {@code authSource=admin},
 * {@code w=majority}, ...). This backend's own options:
 * <ul>
 *   <li>{@code redis} — the Redis URL for wake-up signals, {@code redis://} or {@code rediss://}
 *       with its own credentials and database; {@code none} runs on the safety poll alone.
 *       With {@code tls=true} on the main URL a {@code redis://} URL also uses TLS.</li>
 *   <li>{@code safetyPoll} — how often a waiting consumer looks at MongoDB without a signal,
 *       covering lost signals and a Redis outage; default {@code 3s}.</li>
 *   <li>{@code leaseTtl} — how long a named consumer's lease outlives its last heartbeat, so a
 *       crashed consumer's name becomes free; default {@code 10s}.</li>
 *   <li>{@code slots} — how many slots a topic's keys are split into for consumer groups, 1 to
 *       1024; recorded per topic by its first append or group join (default 16) and fixed from
 *       then on: a connection asking for another count fails on that topic, one without the
 *       option takes the recorded count.</li>
 *   <li>{@code rebalanceDelay} — how long a group's membership must be still before its slots are
 *       reassigned, 0 to 60 s; default {@code 750ms}.</li>
 * </ul>
 * Durations are written {@code 500ms}, {@code 3s}, {@code 2m}, ISO-8601 ({@code PT3S}) or as
 * plain milliseconds.
 */
public final class MongoRedisBackendProvider implements BackendProvider {

    /** The URL scheme, {@value}. */
    public static final String SCHEME = "mongoredis";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public Backend open(BackendUrl url) {
        return MongoRedisBackend.open(MongoRedisSettings.parse(url));
    }
}
