/**
 * How payloads become bytes and back: a {@link io.streamable.codec.PayloadCodecFactory} makes one
 * {@link io.streamable.codec.PayloadCodec} per payload type; a payload that cannot be encoded or
 * decoded fails with a {@link io.streamable.codec.PayloadCodecException}.
 */
package io.streamable.codec;
