package io.streamable.schema;

import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.TopicName;

import java.util.List;

/**
 * The schema versions of each topic, kept in the topic's own backend so that every application
 * sharing the backend sees the same ones. Get it from {@code streamable.schemas()}.
 *
 * <h2>What happens</h2>
 * <ul>
 *   <li>Opening a producer registers its payload type's {@link Schema}: a type whose schema is
 *       already registered reuses that version; a new one is checked against the topic's
 *       {@link CompatibilityMode} and either becomes the next version or fails the producer with
 *       an {@link IncompatibleSchemaException} before anything is written.</li>
 *   <li>Every message carries the version it was written with in the {@value #VERSION_HEADER}
 *       header (and, for a variant of a sealed payload interface, its name in
 *       {@value #VARIANT_HEADER}).</li>
 *   <li>A consumer decodes each message with the version it was written with: for a sealed
 *       payload interface it picks the record named by the version, then applies
 *       {@link Upcaster}s. A message its type cannot read is a poison message for the consumer's
 *       failure policy, reported with topic, position, version and the reason.</li>
 * </ul>
 *
 * <h2>Required and optional properties</h2>
 * A property is optional when its type is {@code Optional}, {@code OptionalInt},
 * {@code OptionalLong} or {@code OptionalDouble}, when it carries an annotation named
 * {@code Nullable} (any package; declaration or type-use), or when it declares a default with
 * {@code @JsonProperty(defaultValue = "...")} (a consumer fills the default in when a message lacks
 * the property). {@code @JsonProperty(required = true)} makes a property required whatever its
 * type. Every other property, primitive or not, is required.
 *
 * <h2>Schemaless payloads</h2>
 * A payload type Jackson can only describe as any JSON value ({@code Object}, {@code JsonNode},
 * what tools such as the command-line producer use) registers nothing, the way a Confluent
 * serializer with {@code auto.register.schemas=false} and {@code use.latest.version=true} works:
 * <ul>
 *   <li>on a topic with schema versions, each payload must match the latest version (of some
 *       record, for a sealed family; the newest matching one wins): every required property
 *       present, no unknown property, every value of the right JSON type. It is written stamped
 *       with that version, so typed consumers decode it like any other message. A payload that
 *       matches none fails the append with a {@link io.streamable.codec.PayloadCodecException}
 *       listing the differences, before anything is written;</li>
 *   <li>on a topic without versions it is written unversioned, as the codec encodes it.</li>
 * </ul>
 * A consumer with a typed payload decodes a message without a version header as it is only on a
 * topic without versions; on a versioned topic such a message was written past the registry
 * (straight to the backend, or by a schemaless producer before the first version was
 * registered) and is a poison message for the failure policy. A schemaless consumer reads every
 * message, versioned or not.
 *
 * <h2>Versions side by side</h2>
 * A payload type can be a sealed interface whose records are the versions:
 * <pre>{@code
 * sealed interface OrderPlaced permits OrderPlacedV1, OrderPlacedV2 {}
 * record OrderPlacedV1(String id, long cents) implements OrderPlaced {}
 * record OrderPlacedV2(String id, long cents, String currency) implements OrderPlaced {}
 * }</pre>
 * Each record is a variant, named by {@code @JsonTypeName} or its simple class name; the mode
 * applies between versions of one variant, so a new record is a free, deliberate break.
 *
 * <h2>Storage</h2>
 * Topic {@code orders} keeps its versions in the internal topic {@code __schemas.orders}: one
 * record per registration or mode change, all under one sharding key so they are totally
 * ordered. Versions are numbered in that order, and every reader replays the same log, so
 * concurrent registrations resolve identically everywhere: a registration that conflicts with one
 * stored before it is rejected, and identical registrations share one version.
 */
public interface SchemaRegistry {
    /** The header recording the schema version a message was written with. */
    String VERSION_HEADER = "streamable.schema.version";
    /** The header naming the sealed interface's record a message was written as. */
    String VARIANT_HEADER = "streamable.schema.variant";
    /** The prefix of the internal topics holding schema versions. */
    String SCHEMA_TOPIC_PREFIX = TopicName.INTERNAL_PREFIX + "schemas.";

    /**
     * The internal topic holding {@code topic}'s schema versions.
     *
     * @param topic a legal topic name
     * @return {@value #SCHEMA_TOPIC_PREFIX} followed by {@code topic}
     */
    static String schemaTopic(String topic) {
        return SCHEMA_TOPIC_PREFIX + TopicName.requireValid(topic);
    }

    /**
     * The topic's compatibility mode; {@link CompatibilityMode#BACKWARD} unless set.
     *
     * @param topic the topic name
     * @return its compatibility mode
     */
    CompatibilityMode compatibility(String topic);

    /**
     * Sets the topic's mode for every later registration, for every application sharing the backend.
     * Versions already registered stay.
     *
     * @param topic the topic name
     * @param mode  the mode later registrations are checked against
     */
    void setCompatibility(String topic, CompatibilityMode mode);

    /**
     * The topic's registered versions, oldest first.
     *
     * @param topic the topic name
     * @return its versions; empty when none is registered
     */
    List<SchemaVersion> versions(String topic);

    /**
     * Registers the topic's payload type, as opening a producer does: for a sealed interface, one
     * version per record.
     *
     * @return the version of each registered schema
     * @param topic the topic whose payload type to register
     * @throws IncompatibleSchemaException if the type breaks the topic's mode; nothing is registered
     */
    List<SchemaVersion> register(Topic<?> topic);

    /**
     * What {@link #register} would object to, without registering anything: empty when the type
     * is compatible.
     *
     * @param topic the topic whose payload type to check
     * @return the problems, one per property and conflicting version
     */
    List<SchemaProblem> check(Topic<?> topic);

    /**
     * Adds an upcaster for consumers started from now on, like
     * {@code StreamableBuilder.upcaster(...)} does for all of them.
     *
     * @param upcaster the upcaster to add
     * @throws IllegalArgumentException if an upcaster from the same type is already registered
     */
    void addUpcaster(Upcaster<?, ?> upcaster);

    /**
     * The schema the registry derives for a type.
     *
     * @param type the payload type
     * @return its structural schema
     */
    Schema schemaOf(PayloadType<?> type);
}
