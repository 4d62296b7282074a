package io.streamable.client;

import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.streamable.PayloadType;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.Topic;
import io.streamable.TopicName;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.Backend;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.StartFrom;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.CompatibilityMode;
import io.streamable.schema.IncompatibleSchemaException;
import io.streamable.schema.Schema;
import io.streamable.schema.SchemaProblem;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;
import io.streamable.schema.Upcaster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The engine behind {@link SchemaRegistry}: derives schemas with the codec's {@link ObjectMapper},
 * stores and replays each topic's {@code __schemas.<topic>} log, and makes the
 * {@link PayloadEncoder}s and {@link PayloadDecoder}s that producers and consumers use. Created
 * by {@link StreamableBuilder}; applications use the {@link SchemaRegistry} interface.
 */
final class DefaultSchemaRegistry implements SchemaRegistry {
    /** All registrations and mode changes share one key, so they are totally ordered on every backend. */
    static final String SHARDING_KEY = "schemas";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READ_WAIT = Duration.ofMillis(200);

    private final Backend backend;
    private final PayloadCodecFactory codecs;
    private final SchemaDeriver deriver;
    private final ObjectMapper mapper;
    private final ObjectMapper logMapper;
    private final Map<Class<?>, Upcaster<?, ?>> upcasters = new ConcurrentHashMap<>();
    private final Map<String, SchemaLog> logs = new ConcurrentHashMap<>();

    /**
     * @param backend   where the schema logs live
     * @param mapper    the mapper payloads are encoded with; schemas follow its configuration
     * @param codecs    the codecs payloads are encoded with
     * @param upcasters conversions from older payload types to newer ones, at most one per source type
     */
    DefaultSchemaRegistry(Backend backend, ObjectMapper mapper, PayloadCodecFactory codecs,
                          List<Upcaster<?, ?>> upcasters) {
        this.backend = Objects.requireNonNull(backend, "backend");
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.codecs = Objects.requireNonNull(codecs, "codecs");
        this.deriver = new SchemaDeriver(mapper);
        this.logMapper = JsonCodecFactory.newObjectMapper()
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
        upcasters.forEach(this::addUpcaster);
    }

    @Override
    public void addUpcaster(Upcaster<?, ?> upcaster) {
        Objects.requireNonNull(upcaster, "upcaster");
        Upcaster<?, ?> clash = upcasters.putIfAbsent(upcaster.from(), upcaster);
        if (clash != null) {
            throw new IllegalArgumentException("Two upcasters from " + upcaster.from().getName() + " (to "
                    + clash.to().getName() + " and to " + upcaster.to().getName() + "); keep one, so each old"
                    + " version has a single path to the newest");
        }
    }

    // ---------------------------------------------------------------- SchemaRegistry

    @Override
    public CompatibilityMode compatibility(String topic) {
        return load(topic, Set.of()).mode();
    }

    @Override
    public void setCompatibility(String topic, CompatibilityMode mode) {
        Objects.requireNonNull(mode, "mode");
        Position position = append(topic, List.of(SchemaLog.Entry.modeChange(mode))).get(0);
        load(topic, Set.of(position));
    }

    @Override
    public List<SchemaVersion> versions(String topic) {
        return load(topic, Set.of()).versions();
    }

    @Override
    public List<SchemaVersion> register(Topic<?> topic) {
        return isSchemaless(topic.payloadType()) ? List.of() : new ArrayList<>(registerTypes(topic).values());
    }

    /**
     * Whether Jackson can only describe the type as any JSON value ({@code Object},
     * {@code JsonNode}): such a type cannot be checked, so it registers nothing, rather than
     * becoming a latest version that every typed producer would conflict with (tools such as a
     * command-line producer write JSON trees into typed topics).
     */
    boolean isSchemaless(PayloadType<?> type) {
        Class<?> raw = Variant.raw(type.type());
        return !(raw.isSealed() && !Variant.isJdk(raw)) && schemaOf(type) instanceof Schema.AnySchema;
    }

    @Override
    public List<SchemaProblem> check(Topic<?> topic) {
        if (isSchemaless(topic.payloadType())) {
            return List.of();
        }
        SchemaLog log = load(topic.name(), Set.of());
        List<SchemaProblem> problems = new ArrayList<>();
        for (Variant variant : Variant.of(topic.payloadType())) {
            Schema schema = schemaOf(variant);
            if (log.find(variant.name(), schema).isEmpty()) {
                problems.addAll(log.check(variant.name(), schema));
            }
        }
        return problems;
    }

    @Override
    public Schema schemaOf(PayloadType<?> type) {
        return deriver.derive(type.type());
    }

    private Schema schemaOf(Variant variant) {
        return deriver.derive(variant.type());
    }

    // ---------------------------------------------------------------- registration

    /** Registers each variant of the topic's type; fails before writing if any breaks the mode. */
    private Map<Class<?>, SchemaVersion> registerTypes(Topic<?> topic) {
        List<Variant> variants = Variant.of(topic.payloadType());
        Map<Variant, Schema> schemas = new LinkedHashMap<>();
        for (Variant variant : variants) {
            schemas.put(variant, schemaOf(variant));
        }
        Map<Class<?>, SchemaVersion> result = new LinkedHashMap<>();
        // an accepted version keeps its number forever (the log only grows, and later records never
        // change earlier outcomes), so a type this registry has seen registered needs no round trip
        SchemaLog cached = logs.get(topic.name());
        if (cached != null) {
            for (Variant variant : variants) {
                cached.find(variant.name(), schemas.get(variant)).ifPresent(v -> result.put(variant.rawClass(), v));
            }
            if (result.size() == variants.size()) {
                return result;
            }
            result.clear();
        }
        SchemaLog log = load(topic.name(), Set.of());
        List<Variant> missing = new ArrayList<>();
        List<SchemaProblem> problems = new ArrayList<>();
        for (Variant variant : variants) {
            Optional<SchemaVersion> existing = log.find(variant.name(), schemas.get(variant));
            if (existing.isPresent()) {
                result.put(variant.rawClass(), existing.get());
            } else {
                missing.add(variant);
                problems.addAll(log.check(variant.name(), schemas.get(variant)));
            }
        }
        if (!problems.isEmpty()) {
            throw new IncompatibleSchemaException(topic.name(), topic.payloadType().toString(), log.mode(), problems);
        }
        if (missing.isEmpty()) {
            return result;
        }
        List<SchemaLog.Entry> entries = missing.stream()
                .map(v -> SchemaLog.Entry.registration(v.name(), v.type().getTypeName(), schemas.get(v))).toList();
        List<Position> positions = append(topic.name(), entries);
        // another process may have registered something in between: the replay decides
        log = load(topic.name(), new HashSet<>(positions));
        for (int i = 0; i < missing.size(); i++) {
            SchemaLog.Outcome outcome = log.outcome(positions.get(i)).orElseThrow(() -> new StreamableException(
                    "The schema registration just stored in " + SchemaRegistry.schemaTopic(topic.name())
                            + " cannot be read back; check the backend"));
            if (outcome.version().isEmpty()) {
                throw new IncompatibleSchemaException(topic.name(), topic.payloadType().toString(), outcome.mode(),
                        outcome.problems());
            }
            result.put(missing.get(i).rawClass(), outcome.version().get());
        }
        return result;
    }

    private List<Position> append(String topic, List<SchemaLog.Entry> entries) {
        List<AppendRecord> records = new ArrayList<>();
        for (SchemaLog.Entry entry : entries) {
            try {
                records.add(new AppendRecord(SHARDING_KEY, Optional.empty(), Map.of(), logMapper.writeValueAsBytes(entry)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("Could not encode a schema log entry: " + e.getOriginalMessage(), e);
            }
        }
        try {
            return backend.topic(SchemaRegistry.schemaTopic(topic)).append(records)
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while storing the schema of topic \"" + topic + "\"", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new StreamableException("Could not store the schema of topic \"" + topic + "\": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new StreamableException("Storing the schema of topic \"" + topic + "\" took longer than " + TIMEOUT, e);
        }
    }

    /** Replays the topic's schema log, reading at least until every position in {@code mustSee} has been read. */
    SchemaLog load(String topic, Set<Position> mustSee) {
        TopicName.requireValid(topic);
        String schemaTopic = SchemaRegistry.schemaTopic(topic);
        List<StoredRecord> records = new ArrayList<>();
        Set<Position> unseen = new HashSet<>(mustSee);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try (TopicReader reader = backend.topic(schemaTopic).openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            // the first read does not wait: most schema logs are short or empty, and an empty one
            // would otherwise cost every new connection's first append or decode the whole wait
            Duration wait = Duration.ZERO;
            while (true) {
                ReadBatch batch = reader.read(1000, wait);
                wait = READ_WAIT;
                for (StoredRecord record : batch.records()) {
                    records.add(record);
                    unseen.remove(record.position());
                }
                if (batch.caughtUp() && unseen.isEmpty()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new StreamableException("Reading the schema versions of topic \"" + topic + "\" from "
                            + schemaTopic + " took longer than " + TIMEOUT + "; check that " + backend.describe()
                            + " is reachable");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while reading the schema versions of topic \"" + topic + "\"", e);
        }
        SchemaLog log = SchemaLog.replay(topic, records, logMapper);
        logs.put(topic, log);
        return log;
    }

    /**
     * Forgets what this registry cached of a topic whose schema log was deleted with it, so the
     * next producer registers its type again instead of writing versions that no longer exist.
     *
     * @param topic the deleted topic's name
     */
    void forgetTopic(String topic) {
        logs.remove(topic);
    }

    /** The cached log of a topic, reloaded when it does not know {@code version} yet. */
    Optional<SchemaVersion> version(String topic, int version) {
        SchemaLog log = logs.get(topic);
        if (log == null || log.version(version).isEmpty()) {
            synchronized (this) {
                log = logs.get(topic);
                if (log == null || log.version(version).isEmpty()) {
                    log = load(topic, Set.of());
                }
            }
        }
        return log.version(version);
    }

    // ---------------------------------------------------------------- encoders and decoders

    /** This registry's latest replay of a topic's log, or null if it has not read it yet. */
    SchemaLog cachedLog(String topic) {
        return logs.get(topic);
    }

    /** Whether the topic has schema versions, from the cached log (read once if there is none yet). */
    boolean hasVersions(String topic) {
        SchemaLog log = logs.get(topic);
        return (log != null ? log : load(topic, Set.of())).hasVersions();
    }

    /**
     * The encoder of a producer: registers the topic's type first. A schemaless type
     * registers nothing; its payloads are checked against the topic's latest version, if any, and
     * stamped with it (see {@link SchemaRegistry}).
     *
     * @param topic the topic the producer appends to
     * @param <T>   the payload type
     * @return the encoder, stamping the topic's schema version on every message
     * @throws IncompatibleSchemaException if the type breaks the topic's mode
     */
    <T> PayloadEncoder<T> encoder(Topic<T> topic) {
        if (isSchemaless(topic.payloadType())) {
            return new SchemalessEncoder<>(topic, this, codecs.codecFor(topic.payloadType()), mapper);
        }
        Map<Class<?>, SchemaVersion> versions = registerTypes(topic);
        return new SchemaEncoder<>(topic, versions, codecs);
    }

    /**
     * The decoder of a consumer; reads the registry lazily, on the first versioned message.
     *
     * @param topic the topic the consumer reads
     * @param <T>   the payload type
     * @return the decoder, decoding each message as the version it was written with
     */
    <T> PayloadDecoder<T> decoder(Topic<T> topic) {
        return new SchemaDecoder<>(topic, this, codecs, mapper, Map.copyOf(upcasters));
    }

    Schema schemaOf(Class<?> type) {
        return deriver.derive(type);
    }

    /**
     * One shape a topic's payload can take: the payload type itself, or one record of a sealed
     * payload interface.
     *
     * @param name the variant's name, empty for a plain payload type
     * @param type the Java type encoded and decoded
     */
    record Variant(String name, java.lang.reflect.Type type) {
        Class<?> rawClass() {
            return raw(type);
        }

        static List<Variant> of(PayloadType<?> payloadType) {
            Class<?> raw = raw(payloadType.type());
            if (raw.isSealed() && !isJdk(raw)) {
                List<Variant> variants = new ArrayList<>();
                Map<String, Class<?>> names = new LinkedHashMap<>();
                for (Class<?> leaf : leaves(raw)) {
                    String name = variantName(leaf);
                    Class<?> clash = names.put(name, leaf);
                    if (clash != null) {
                        throw new IllegalArgumentException("Sealed payload type " + raw.getName() + " has two records"
                                + " named \"" + name + "\" (" + clash.getName() + " and " + leaf.getName() + "); give one"
                                + " another @JsonTypeName so each version has its own name");
                    }
                    variants.add(new Variant(name, leaf));
                }
                return variants;
            }
            return List.of(new Variant(family(raw).isEmpty() ? "" : variantName(raw), payloadType.type()));
        }

        /** The concrete classes a sealed type permits, nested sealed types flattened, in declaration order. */
        static List<Class<?>> leaves(Class<?> type) {
            if (!type.isSealed()) {
                return List.of(type);
            }
            List<Class<?>> leaves = new ArrayList<>();
            for (Class<?> permitted : type.getPermittedSubclasses()) {
                for (Class<?> leaf : leaves(permitted)) {
                    if (!leaves.contains(leaf)) {
                        leaves.add(leaf);
                    }
                }
            }
            return leaves;
        }

        /**
         * The concrete members of the outermost sealed type that permits {@code type}, if any:
         * the versions a consumer of one version can decode and upcast.
         */
        static List<Class<?>> family(Class<?> type) {
            Class<?> root = null;
            for (Class<?> parent = sealedParent(type); parent != null; parent = sealedParent(parent)) {
                root = parent;
            }
            if (root == null) {
                return type.isSealed() && !isJdk(type) ? leaves(type) : List.of();
            }
            return leaves(root);
        }

        private static Class<?> sealedParent(Class<?> type) {
            List<Class<?>> supers = new ArrayList<>(List.of(type.getInterfaces()));
            if (type.getSuperclass() != null) {
                supers.add(type.getSuperclass());
            }
            for (Class<?> parent : supers) {
                // the JDK's own sealed hierarchies (String and Integer are ConstantDescs) are not payload versions
                if (parent.isSealed() && !isJdk(parent) && List.of(parent.getPermittedSubclasses()).contains(type)) {
                    return parent;
                }
            }
            return null;
        }

        static boolean isJdk(Class<?> type) {
            String module = type.getModule().getName();
            return module != null && (module.startsWith("java.") || module.startsWith("jdk."));
        }

        static String variantName(Class<?> type) {
            JsonTypeName name = type.getAnnotation(JsonTypeName.class);
            return name != null && !name.value().isEmpty() ? name.value() : type.getSimpleName();
        }

        static Class<?> raw(java.lang.reflect.Type type) {
            if (type instanceof Class<?> c) {
                return c;
            }
            if (type instanceof java.lang.reflect.ParameterizedType p) {
                return (Class<?>) p.getRawType();
            }
            return Object.class;
        }
    }

    @Override
    public String toString() {
        return "SchemaRegistry[" + backend.describe() + "]";
    }
}
