package io.streamable.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.backend.StoredRecord;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecException;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.FailurePolicy;
import io.streamable.schema.Schema.ArraySchema;
import io.streamable.schema.Schema.MapSchema;
import io.streamable.schema.Schema.ObjectSchema;
import io.streamable.schema.Schema.Property;
import io.streamable.schema.Schema.ScalarSchema;
import io.streamable.schema.Schema;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;
import io.streamable.schema.Upcaster;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Decodes each message as the version it was written with: picks the record of a sealed family
 * named by the version, checks once per version that the reading type can read that version's
 * schema, fills in declared defaults, then upcasts towards the consumer's type.
 */
final class SchemaDecoder<T> implements PayloadDecoder<T> {
    private static final int MAX_UPCASTS = 64;

    private final Topic<T> topic;
    private final Class<?> target;
    private final DefaultSchemaRegistry registry;
    private final PayloadCodecFactory codecs;
    private final ObjectMapper mapper;
    private final Map<Class<?>, Upcaster<?, ?>> upcasters;
    private final PayloadCodec<T> plainCodec;
    /** The records of the sealed family the consumer's type belongs to, by variant name; empty for a plain type. */
    private final Map<String, Class<?>> family;
    private final Map<Class<?>, Reader> readers = new ConcurrentHashMap<>();
    /** Per source topic, version and decoding class: empty when readable, else why not. */
    private final Map<VerdictKey, Optional<String>> verdicts = new ConcurrentHashMap<>();
    /** Class.isSealed() reflects on every call; the answer never changes. */
    private final boolean targetSealed;
    /** A JsonNode or Object consumer reads anything, versioned or not. */
    private final boolean targetSchemaless;

    /** A verdict's key; a record rather than a concatenated string, since it is looked up per message. */
    private record VerdictKey(String source, int version, Class<?> decodeAs) {
    }

    /** How one class is decoded: its codec, its schema and whether it declares defaults to fill in. */
    private record Reader(PayloadCodec<Object> codec, Schema schema, boolean hasDefaults) {
    }

    SchemaDecoder(Topic<T> topic, DefaultSchemaRegistry registry, PayloadCodecFactory codecs, ObjectMapper mapper,
                    Map<Class<?>, Upcaster<?, ?>> upcasters) {
        this.topic = topic;
        this.target = DefaultSchemaRegistry.Variant.raw(topic.payloadType().type());
        this.targetSealed = target.isSealed();
        this.targetSchemaless = registry.isSchemaless(topic.payloadType());
        this.registry = registry;
        this.codecs = codecs;
        this.mapper = mapper;
        this.upcasters = upcasters;
        this.plainCodec = codecs.codecFor(topic.payloadType());
        this.family = DefaultSchemaRegistry.Variant.family(target).stream()
                .collect(Collectors.toMap(DefaultSchemaRegistry.Variant::variantName, c -> c, (a, b) -> a));
    }

    @Override
    public T decode(StoredRecord record) {
        String header = record.headers().get(SchemaRegistry.VERSION_HEADER);
        if (header == null) {
            if (targetSealed) {
                throw new PayloadCodecException("The message has no " + SchemaRegistry.VERSION_HEADER + " header, so"
                        + " it is not known which record of sealed type " + target.getName() + " it is; it was"
                        + " written without the schema registry", null);
            }
            String source = record.headers().getOrDefault(FailurePolicy.DLQ_SOURCE_TOPIC, topic.name());
            if (!targetSchemaless && registry.hasVersions(source)) {
                // written before the registry (the TypeScript prototype's messages, a topic's messages
                // from before its first version): read as is only when it has exactly the shape the
                // consumer's type writes; decoding foreign JSON "as is" would hand the handler nulls
                // and defaults for every property, so anything else is a poison message
                List<String> mismatches = beforeTheRegistry(record.payload());
                if (mismatches.isEmpty()) {
                    return plainCodec.decode(record.payload());
                }
                throw new PayloadCodecException("The message at position " + record.position() + " of topic \""
                        + topic.name() + "\" has no " + SchemaRegistry.VERSION_HEADER + " header, but topic \"" + source
                        + "\" has schema versions, so it was written past the schema registry (straight to the backend,"
                        + " or by a schemaless producer before the topic's first version), and it does not have the"
                        + " shape of " + target.getName() + " (" + String.join("; ", mismatches) + "), so it is not"
                        + " decoded. Skip or dead-letter it with the consumer's failure policy, or read the"
                        + " topic with a schemaless type (JsonNode) to inspect it", null);
            }
            return plainCodec.decode(record.payload()); // an unversioned topic (written without the registry): as is
        }
        int number;
        try {
            number = Integer.parseInt(header.trim());
        } catch (NumberFormatException e) {
            throw new PayloadCodecException("The " + SchemaRegistry.VERSION_HEADER + " header \"" + header
                    + "\" is not a version number", e);
        }
        // a dead-lettered message keeps its source topic's version numbers
        String source = record.headers().getOrDefault(FailurePolicy.DLQ_SOURCE_TOPIC, topic.name());
        SchemaVersion version = registry.version(source, number).orElseThrow(() -> new PayloadCodecException(
                "schema version " + number + " is not registered for topic \"" + source + "\" (in "
                        + SchemaRegistry.schemaTopic(source) + "); the message was written by a producer of"
                        + " another registry or the schema log was lost", null));
        Class<?> decodeAs = decodeClass(version);
        Reader reader = readers.computeIfAbsent(decodeAs, this::reader);
        Optional<String> problem = verdicts.computeIfAbsent(new VerdictKey(source, number, decodeAs),
                key -> verdict(reader.schema(), version));
        if (problem.isPresent()) {
            throw new PayloadCodecException(problem.get(), null);
        }
        byte[] bytes = reader.hasDefaults() ? withDefaults(record.payload(), reader.schema()) : record.payload();
        Object payload = decodeAs == target ? plainCodec.decode(bytes) : reader.codec().decode(bytes);
        return upcast(payload, version);
    }

    @Override
    public boolean decodesFromMemory(StoredRecord record) {
        String header = record.headers().get(SchemaRegistry.VERSION_HEADER);
        if (header == null && (targetSealed || targetSchemaless)) {
            return true; // refused or decoded as is: no registry read
        }
        String source = record.headers().getOrDefault(FailurePolicy.DLQ_SOURCE_TOPIC, topic.name());
        SchemaLog log = registry.cachedLog(source);
        if (log == null) {
            return false;
        }
        if (header == null) {
            return true; // hasVersions answers from the cached log
        }
        try {
            return log.version(Integer.parseInt(header.trim())).isPresent();
        } catch (NumberFormatException e) {
            return true; // refused without a registry read
        }
    }

    /** How an unversioned payload differs from the consumer's type's schema; empty when it conforms. */
    private List<String> beforeTheRegistry(byte[] payload) {
        JsonNode tree;
        try {
            tree = mapper.readTree(payload);
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
        if (tree == null) {
            return List.of("empty");
        }
        return SchemaConformance.check(tree, readers.computeIfAbsent(target, this::reader).schema());
    }

    private Class<?> decodeClass(SchemaVersion version) {
        if (version.variant().isEmpty()) {
            if (targetSealed) {
                throw new PayloadCodecException("version " + version.version() + " was written with the plain type "
                        + version.typeName() + ", not as a record of sealed type " + target.getName()
                        + "; read this topic with a plain type", null);
            }
            return target;
        }
        Class<?> variant = family.get(version.variant());
        if (variant == null) {
            if (family.isEmpty()) {
                return target; // a plain consumer type reading a variant: structure decides
            }
            throw new PayloadCodecException("version " + version.version() + " was written as \"" + version.variant()
                    + "\" (" + version.typeName() + "), which is not among the records " + family.keySet() + " of "
                    + target.getName() + "'s sealed family; add the record to the sealed interface's permits", null);
        }
        return variant;
    }

    @SuppressWarnings("unchecked")
    private Reader reader(Class<?> type) {
        Schema schema = type == target ? registry.schemaOf(topic.payloadType()) : registry.schemaOf(type);
        PayloadCodec<Object> codec = type == target ? null : codecs.codecFor((PayloadType<Object>) PayloadType.of(type));
        return new Reader(codec, schema, hasDefaults(schema));
    }

    private Optional<String> verdict(Schema readerSchema, SchemaVersion version) {
        List<Compatibility.Difference> differences = Compatibility.canRead(readerSchema, version.schema());
        if (differences.isEmpty()) {
            return Optional.empty();
        }
        String reasons = differences.stream()
                .map(d -> SchemaLog.backward(d, version.version()))
                .map(p -> p.path() + ": " + p.change())
                .collect(Collectors.joining("; "));
        return Optional.of("schema version " + version.version() + " (" + version.typeName() + ") cannot be read as "
                + readerSchemaName(version) + ": " + reasons);
    }

    private String readerSchemaName(SchemaVersion version) {
        Class<?> variant = version.variant().isEmpty() ? target : family.getOrDefault(version.variant(), target);
        return variant.getName();
    }

    @SuppressWarnings("unchecked")
    private T upcast(Object payload, SchemaVersion version) {
        boolean exact = !targetSealed && !target.isInterface();
        for (int step = 0; step < MAX_UPCASTS; step++) {
            if (exact && target.isInstance(payload)) {
                return (T) payload;
            }
            Upcaster<?, ?> next = upcasters.get(payload.getClass());
            if (next == null) {
                break;
            }
            try {
                payload = apply(next, payload);
            } catch (RuntimeException e) {
                throw new PayloadCodecException("The upcaster from " + next.from().getName() + " to "
                        + next.to().getName() + " failed on schema version " + version.version() + ": " + e, e);
            }
        }
        if (!target.isInstance(payload)) {
            throw new PayloadCodecException("schema version " + version.version() + " decodes as "
                    + payload.getClass().getName() + ", and no upcaster leads from it to " + target.getName()
                    + "; register one with Streamable.builder().upcaster(Upcaster.of(" + payload.getClass().getSimpleName()
                    + ".class, <next version>.class, old -> ...))", null);
        }
        return (T) payload;
    }

    @SuppressWarnings("unchecked")
    private static Object apply(Upcaster<?, ?> upcaster, Object payload) {
        Object result = ((java.util.function.Function<Object, Object>) upcaster.function())
                .apply(upcaster.from().cast(payload));
        if (result == null) {
            throw new IllegalStateException("The upcaster from " + upcaster.from().getName() + " to "
                    + upcaster.to().getName() + " returned null");
        }
        return result;
    }

    // ---------------------------------------------------------------- defaults

    private static boolean hasDefaults(Schema schema) {
        if (schema instanceof ObjectSchema object) {
            for (Property property : object.properties().values()) {
                if (property.defaultValue() != null || hasDefaults(property.schema())) {
                    return true;
                }
            }
        } else if (schema instanceof ArraySchema array) {
            return hasDefaults(array.items());
        } else if (schema instanceof MapSchema map) {
            return hasDefaults(map.values());
        }
        return false;
    }

    private byte[] withDefaults(byte[] payload, Schema schema) {
        try {
            JsonNode tree = mapper.readTree(payload);
            fill(tree, schema);
            return mapper.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new PayloadCodecException("The payload is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static void fill(JsonNode node, Schema schema) {
        if (schema instanceof ObjectSchema object && node instanceof ObjectNode fields) {
            object.properties().forEach((name, property) -> {
                JsonNode value = fields.get(name);
                if ((value == null || value.isNull()) && property.defaultValue() != null) {
                    fields.set(name, defaultNode(property));
                } else if (value != null) {
                    fill(value, property.schema());
                }
            });
        } else if (schema instanceof ArraySchema array && node.isArray()) {
            node.forEach(element -> fill(element, array.items()));
        } else if (schema instanceof MapSchema map && node.isObject()) {
            node.forEach(value -> fill(value, map.values()));
        }
    }

    private static JsonNode defaultNode(Property property) {
        String text = property.defaultValue();
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        if (property.schema() instanceof ScalarSchema scalar) {
            try {
                return switch (scalar.json()) {
                    case INTEGER -> nodes.numberNode(new BigInteger(text.trim()));
                    case NUMBER -> nodes.numberNode(new BigDecimal(text.trim()));
                    case BOOLEAN -> nodes.booleanNode(Boolean.parseBoolean(text.trim()));
                    case STRING -> nodes.textNode(text);
                };
            } catch (NumberFormatException e) {
                throw new PayloadCodecException("The default \"" + text + "\" declared with @JsonProperty(defaultValue)"
                        + " is not a " + scalar.json(), e);
            }
        }
        return nodes.textNode(text);
    }
}
