package io.streamable.backend;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A record to append, its payload already encoded. Immutable apart from the payload array, which
 * is not copied; equal when every field, the payload's bytes included, is equal.
 */
public final class AppendRecord {
    private final String shardingKey;
    private final Optional<String> logCompactId;
    private final Map<String, String> headers;
    private final byte[] payload;

    /**
     * @param shardingKey  non-empty
     * @param logCompactId optional compaction id
     * @param headers      string headers, framework headers included
     * @param payload      the encoded payload; not copied, do not modify it afterwards
     */
    public AppendRecord(String shardingKey, Optional<String> logCompactId, Map<String, String> headers,
                        byte[] payload) {
        this.shardingKey = Objects.requireNonNull(shardingKey, "an appended record needs a sharding key");
        this.logCompactId = Objects.requireNonNull(logCompactId, "logCompactId: pass Optional.empty() for none");
        this.headers = Map.copyOf(headers);
        this.payload = Objects.requireNonNull(payload, "an appended record needs a payload (an empty array for none)");
    }

    /** {@return the sharding key} */
    public String shardingKey() {
        return shardingKey;
    }

    /** {@return the compaction id, if any} */
    public Optional<String> logCompactId() {
        return logCompactId;
    }

    /** {@return the headers, framework headers included} */
    public Map<String, String> headers() {
        return headers;
    }

    /** {@return the encoded payload; not copied, do not modify it} */
    public byte[] payload() {
        return payload;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AppendRecord that && shardingKey.equals(that.shardingKey)
                && logCompactId.equals(that.logCompactId) && headers.equals(that.headers)
                && Arrays.equals(payload, that.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(shardingKey, logCompactId, headers, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "AppendRecord[shardingKey=" + shardingKey + logCompactId.map(id -> ", logCompactId=" + id).orElse("")
                + ", headers=" + headers.keySet() + ", " + payload.length + " bytes]";
    }
}
