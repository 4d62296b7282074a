package io.streamable.backend;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A record to append, its payload already encoded.
 *
 * @param shardingKey  non-empty
 * @param logCompactId optional compaction id
 * @param headers      string headers, framework headers included
 * @param payload      the encoded payload; not copied, do not modify it afterwards
 */
public record AppendRecord(String shardingKey, Optional<String> logCompactId, Map<String, String> headers,
                           byte[] payload) {
    public AppendRecord {
        Objects.requireNonNull(shardingKey, "shardingKey");
        Objects.requireNonNull(logCompactId, "logCompactId");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(payload, "payload");
    }
}
