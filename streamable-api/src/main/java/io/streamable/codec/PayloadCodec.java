package io.streamable.codec;

/**
 * Turns payloads into bytes and back, like Kafka's {@code Serializer}/{@code Deserializer} pair.
 * Implementations are thread-safe. The default codec is JSON through Jackson.
 *
 * @param <T> the payload type
 */
public interface PayloadCodec<T> {

    /**
     * Encodes a payload.
     *
     * @param payload the payload, not {@code null}
     * @return its encoded bytes
     * @throws PayloadCodecException if the payload cannot be encoded
     */
    byte[] encode(T payload);

    /**
     * Decodes stored bytes.
     *
     * @param bytes the bytes as stored, as {@link #encode} produced them
     * @return the decoded payload
     * @throws PayloadCodecException if the bytes are not a valid {@code T}
     */
    T decode(byte[] bytes);

    /**
     * Whether every payload this codec encodes is one UTF-8 JSON text (RFC 8259), and its
     * {@link #decode} accepts any JSON text equal in value (other whitespace, another spelling of
     * the same number). A backend may then store the payload in a native structured form (MongoDB
     * stores a JSON object as an embedded document) and give back equivalent JSON instead of the
     * same bytes. {@code false} by default: the bytes are stored and returned as they are.
     *
     * @return {@code true} if payloads are JSON and may be stored in an equivalent structured form
     */
    default boolean writesJson() {
        return false;
    }
}
