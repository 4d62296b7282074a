package io.streamable.backend;

import io.streamable.Position;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A record as stored, read back from a backend.
 *
 * @param position     where the backend stored it
 * @param createdAt    when the backend accepted it
 * @param shardingKey  its sharding key
 * @param logCompactId its compaction id, if any
 * @param headers      its headers
 * @param payload      the encoded payload; not copied
 */
public record StoredRecord(Position position, Instant createdAt, String shardingKey, Optional<String> logCompactId,
                           Map<String, String> headers, byte[] payload) {
    public StoredRecord {
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(shardingKey, "shardingKey");
        Objects.requireNonNull(logCompactId, "logCompactId");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(payload, "payload");
    }
}
