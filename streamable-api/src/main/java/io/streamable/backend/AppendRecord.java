package io.streamable.backend;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A record to append, its payload already encoded. Immutable apart from the payload array, which
 * is not copied; equal when every field, the payload's bytes included, is equal.
 *
 * <p>A record whose payload {@linkplain #jsonPayload is JSON} (its codec
 * {@linkplain io.streamable.codec.PayloadCodec#writesJson writes JSON}) may be stored in a
 * backend's native structured form and read back as equivalent JSON rather than the same bytes.
 */
public final class AppendRecord {
    private final String shardingKey;
    private final Optional<String> logCompactId;
    private final Map<String, String> headers;
    private final byte[] payload;
    private final boolean jsonPayload;

    /**
     * @param shardingKey  non-empty
     * @param logCompactId optional compaction id
     * @param headers      string headers, framework headers included
     * @param payload      the encoded payload; not copied, do not modify it afterwards
     */
    public AppendRecord(String shardingKey, Optional<String> logCompactId, Map<String, String> headers,
                        byte[] payload) {
        this(shardingKey, logCompactId, headers, payload, false);
    }

    /**
     * @param shardingKey  non-empty
     * @param logCompactId optional compaction id
     * @param headers      string headers, framework headers included
     * @param payload      the encoded payload; not copied, do not modify it afterwards
     * @param jsonPayload  whether the payload is one UTF-8 JSON text that may be stored in an
     *                     equivalent structured form (see {@link io.streamable.codec.PayloadCodec#writesJson})
     */
    public AppendRecord(String shardingKey, Optional<String> logCompactId, Map<String, String> headers,
                        byte[] payload, boolean jsonPayload) {
        this.jsonPayload = jsonPayload;
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

    /**
     * {@return whether the payload is one UTF-8 JSON text a backend may store in an equivalent
     * structured form; {@code false} means its bytes must come back as they are}
     */
    public boolean jsonPayload() {
        return jsonPayload;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AppendRecord that && shardingKey.equals(that.shardingKey)
                && logCompactId.equals(that.logCompactId) && headers.equals(that.headers)
                && Arrays.equals(payload, that.payload) && jsonPayload == that.jsonPayload;
    }

    @Override
    public int hashCode() {
        return Objects.hash(shardingKey, logCompactId, headers, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "AppendRecord[shardingKey=" + shardingKey + logCompactId.map(id -> ", logCompactId=" + id).orElse("")
                + ", headers=" + headers.keySet() + ", " + payload.length + (jsonPayload ? " bytes of JSON]" : " bytes]");
    }
}
