package io.streamable.schema;

import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import io.streamable.codec.PayloadCodec;
import io.streamable.produce.OutgoingMessage;

import java.util.Objects;

/**
 * How one topic's payloads become stored records and back: the codec plus the schema version
 * headers. Used by streamable-core's producers and consumers; applications do not need it.
 *
 * @param <T> the payload type
 */
public interface PayloadBinding<T> {

    /**
     * Encodes a message, adding the framework's headers.
     *
     * @param message the message to encode
     * @return the record to append
     * @throws io.streamable.codec.PayloadCodecException if the payload cannot be encoded
     */
    AppendRecord encode(OutgoingMessage<T> message);

    /**
     * Decodes a stored record's payload.
     *
     * @param record the stored record
     * @return the decoded payload
     * @throws io.streamable.codec.PayloadCodecException if it does not decode as {@code T}; the
     *                                                    message names the schema version
     */
    T decode(StoredRecord record);

    /**
     * A binding with no schema support: the codec alone.
     *
     * @param codec the codec that encodes and decodes payloads
     * @param <T>   the payload type
     * @return a binding that adds no headers and ignores schema versions
     */
    static <T> PayloadBinding<T> of(PayloadCodec<T> codec) {
        Objects.requireNonNull(codec, "codec");
        return new PayloadBinding<>() {
            @Override
            public AppendRecord encode(OutgoingMessage<T> message) {
                return new AppendRecord(message.shardingKey(), message.logCompactId(), message.headers(),
                        codec.encode(message.payload()), codec.writesJson());
            }

            @Override
            public T decode(StoredRecord record) {
                return codec.decode(record.payload());
            }
        };
    }
}
