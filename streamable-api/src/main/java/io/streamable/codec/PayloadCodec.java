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
}
