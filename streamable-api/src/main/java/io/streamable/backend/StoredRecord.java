package io.streamable.backend;

import io.streamable.Position;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A record as stored, read back from a backend. Immutable apart from the payload array, which is
 * not copied; equal when every field, the payload's bytes included, is equal.
 *
 * <p>A record the backend found in its storage but could not read in its own shape (another
 * program's document, a field of the wrong type, a missing field) is returned as a
 * {@linkplain #malformed malformed} record at its position rather than thrown: the framework
 * hands it to the consumer's failure policy as a poison message, so one bad record never kills a
 * reader and is never skipped silently.
 */
public final class StoredRecord {
    private static final byte[] NO_PAYLOAD = new byte[0];

    private final Position position;
    private final Instant createdAt;
    private final String shardingKey;
    private final Optional<String> logCompactId;
    private final Map<String, String> headers;
    private final byte[] payload;
    private final Optional<String> defect;

    /**
     * @param position     where the backend stored it
     * @param createdAt    when the backend accepted it
     * @param shardingKey  its sharding key
     * @param logCompactId its compaction id, if any
     * @param headers      its headers
     * @param payload      the encoded payload; not copied
     */
    public StoredRecord(Position position, Instant createdAt, String shardingKey, Optional<String> logCompactId,
                        Map<String, String> headers, byte[] payload) {
        this(position, createdAt, shardingKey, logCompactId, headers, payload, Optional.empty());
    }

    private StoredRecord(Position position, Instant createdAt, String shardingKey, Optional<String> logCompactId,
                         Map<String, String> headers, byte[] payload, Optional<String> defect) {
        this.position = Objects.requireNonNull(position, "a stored record needs its position");
        this.createdAt = Objects.requireNonNull(createdAt, "a stored record needs createdAt (Instant.EPOCH if unknown)");
        this.shardingKey = Objects.requireNonNull(shardingKey, "a stored record needs its sharding key");
        this.logCompactId = Objects.requireNonNull(logCompactId, "logCompactId: pass Optional.empty() for none");
        this.headers = Map.copyOf(headers);
        this.payload = Objects.requireNonNull(payload, "a stored record needs a payload (an empty array for none)");
        this.defect = defect;
    }

    /**
     * A record found at {@code position} that the backend cannot read in its own shape.
     *
     * @param position    where it was found
     * @param createdAt   when it was stored, {@link Instant#EPOCH} if that cannot be read either
     * @param shardingKey its sharding key if readable, else an empty string
     * @param defect      what is wrong with it, for the error the consumer reports (no payload content)
     * @return a record whose {@link #defect()} says what is wrong, with an empty payload
     */
    public static StoredRecord malformed(Position position, Instant createdAt, String shardingKey, String defect) {
        Objects.requireNonNull(defect, "defect: say what is wrong with the record");
        return new StoredRecord(position, createdAt, shardingKey, Optional.empty(), Map.of(), NO_PAYLOAD,
                Optional.of(defect));
    }

    /** {@return where the backend stored it} */
    public Position position() {
        return position;
    }

    /** {@return when the backend accepted it} */
    public Instant createdAt() {
        return createdAt;
    }

    /** {@return its sharding key} */
    public String shardingKey() {
        return shardingKey;
    }

    /** {@return its compaction id, if any} */
    public Optional<String> logCompactId() {
        return logCompactId;
    }

    /** {@return its headers, framework headers included} */
    public Map<String, String> headers() {
        return headers;
    }

    /** {@return the encoded payload; not copied, do not modify it. Empty for a malformed record} */
    public byte[] payload() {
        return payload;
    }

    /** {@return what is wrong with a record the backend could not read in its own shape; empty for a sound record} */
    public Optional<String> defect() {
        return defect;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoredRecord that && position.equals(that.position) && createdAt.equals(that.createdAt)
                && shardingKey.equals(that.shardingKey) && logCompactId.equals(that.logCompactId)
                && headers.equals(that.headers) && Arrays.equals(payload, that.payload) && defect.equals(that.defect);
    }

    @Override
    public int hashCode() {
        return Objects.hash(position, createdAt, shardingKey, logCompactId, headers, Arrays.hashCode(payload), defect);
    }

    @Override
    public String toString() {
        return "StoredRecord[position=" + position.encode() + ", shardingKey=" + shardingKey
                + logCompactId.map(id -> ", logCompactId=" + id).orElse("") + ", " + payload.length + " bytes"
                + defect.map(d -> ", malformed: " + d).orElse("") + "]";
    }
}
