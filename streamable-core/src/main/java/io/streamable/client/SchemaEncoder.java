package io.streamable.client;

import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecException;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.produce.OutgoingMessage;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;

import java.util.HashMap;
import java.util.Map;

/**
 * Encodes each payload with the codec of its registered variant and records the version in the
 * message's headers. A sealed payload interface is encoded through its concrete record, so the
 * stored JSON is the record's own shape.
 */
final class SchemaEncoder<T> implements PayloadEncoder<T> {
    private final Topic<T> topic;
    private final boolean sealed;
    private final PayloadCodec<T> plainCodec;
    private final Map<Class<?>, Encoder> byClass = new HashMap<>();

    /**
     * How one class is encoded; {@code headers} are the version headers alone, made once, for the
     * common message that has no headers of its own.
     */
    private record Encoder(PayloadCodec<Object> codec, SchemaVersion version, Map<String, String> headers) {
        Encoder(PayloadCodec<Object> codec, SchemaVersion version) {
            this(codec, version, versionHeaders(Map.of(), version));
        }
    }

    @SuppressWarnings("unchecked")
    SchemaEncoder(Topic<T> topic, Map<Class<?>, SchemaVersion> versions, PayloadCodecFactory codecs) {
        this.topic = topic;
        Class<?> raw = DefaultSchemaRegistry.Variant.raw(topic.payloadType().type());
        this.sealed = raw.isSealed();
        if (sealed) {
            this.plainCodec = null;
            versions.forEach((type, version) ->
                    byClass.put(type, new Encoder(codecs.codecFor((PayloadType<Object>) PayloadType.of(type)), version)));
        } else {
            this.plainCodec = codecs.codecFor(topic.payloadType());
            byClass.put(raw, new Encoder(null, versions.values().iterator().next()));
        }
    }

    @Override
    public AppendRecord encode(OutgoingMessage<T> message) {
        T payload = message.payload();
        byte[] bytes;
        boolean json;
        Encoder used;
        if (sealed) {
            Encoder encoder = byClass.get(payload.getClass());
            if (encoder == null) {
                throw new PayloadCodecException("A " + payload.getClass().getName() + " is not one of the records "
                        + byClass.keySet() + " that sealed payload type " + topic.payloadType() + " permits for topic \""
                        + topic.name() + "\"", null);
            }
            bytes = encoder.codec().encode(payload);
            json = encoder.codec().writesJson();
            used = encoder;
        } else {
            bytes = plainCodec.encode(payload);
            json = plainCodec.writesJson();
            used = byClass.values().iterator().next();
        }
        Map<String, String> headers = message.headers().isEmpty() ? used.headers()
                : versionHeaders(message.headers(), used.version());
        return new AppendRecord(message.shardingKey(), message.logCompactId(), headers, bytes, json);
    }

    private static Map<String, String> versionHeaders(Map<String, String> messageHeaders, SchemaVersion version) {
        Map<String, String> headers = new HashMap<>(messageHeaders);
        headers.put(SchemaRegistry.VERSION_HEADER, Integer.toString(version.version()));
        if (!version.variant().isEmpty()) {
            headers.put(SchemaRegistry.VARIANT_HEADER, version.variant());
        }
        return Map.copyOf(headers);
    }
}
