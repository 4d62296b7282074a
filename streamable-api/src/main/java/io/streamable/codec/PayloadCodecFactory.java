package io.streamable.codec;

import io.streamable.PayloadType;

/** Makes the codec for a payload type; one factory serves every topic of a {@code Streamable}. */
@FunctionalInterface
public interface PayloadCodecFactory {
    /**
     * Makes the codec for one payload type.
     *
     * @param type the payload type
     * @param <T>  the payload type
     * @return a codec that encodes and decodes {@code T}
     */
    <T> PayloadCodec<T> codecFor(PayloadType<T> type);
}
