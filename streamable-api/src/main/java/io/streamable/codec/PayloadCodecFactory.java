package io.streamable.codec;

import io.streamable.PayloadType;

/** Makes the codec for a payload type; one factory serves every topic of a {@code Streamable}. */
@FunctionalInterface
public interface PayloadCodecFactory {
    <T> PayloadCodec<T> codecFor(PayloadType<T> type);
}
