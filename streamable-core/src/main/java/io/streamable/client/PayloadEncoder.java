package io.streamable.client;

import io.streamable.backend.AppendRecord;
import io.streamable.codec.PayloadCodec;
import io.streamable.produce.OutgoingMessage;

import java.util.Objects;

/**
 * How a producer turns one topic's messages into records to append: the codec, plus the schema
 * version headers when schema support is on.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
interface PayloadEncoder<T> {

    /**
     * Encodes a message, adding the framework's headers.
     *
     * @throws io.streamable.codec.PayloadCodecException if the payload cannot be encoded
     */
    AppendRecord encode(OutgoingMessage<T> message);

    /** An encoder with no schema support: the codec alone, adding no headers. */
    static <T> PayloadEncoder<T> of(PayloadCodec<T> codec) {
        Objects.requireNonNull(codec, "codec");
        return message -> new AppendRecord(message.shardingKey(), message.logCompactId(), message.headers(),
                codec.encode(message.payload()), codec.writesJson());
    }
}
