package io.streamable.client;

import io.streamable.backend.StoredRecord;
import io.streamable.codec.PayloadCodec;

import java.util.Objects;

/**
 * How a consumer turns one topic's stored records back into payloads: the codec, by schema
 * version when schema support is on.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
interface PayloadDecoder<T> {

    /**
     * Decodes a stored record's payload.
     *
     * @throws io.streamable.codec.PayloadCodecException if it does not decode as {@code T}; the
     *                                                    message names the schema version
     */
    T decode(StoredRecord record);

    /**
     * Whether {@link #decode} would answer from what is in memory, without reading the backend
     * (a schema registry not loaded yet): only then may the read loop decode ahead of the workers.
     */
    default boolean decodesFromMemory(StoredRecord record) {
        return true;
    }

    /** A decoder with no schema support: the codec alone, ignoring schema versions. */
    static <T> PayloadDecoder<T> of(PayloadCodec<T> codec) {
        Objects.requireNonNull(codec, "codec");
        return record -> codec.decode(record.payload());
    }
}
