package io.streamable.tck;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import io.streamable.schema.CompatibilityMode;
import io.streamable.schema.IncompatibleSchemaException;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;
import io.streamable.schema.Upcaster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The schema registry's contract: typed payloads that evolve safely, the same on every backend.
 * Schema versions live in an internal topic of the backend itself, so a backend passes this suite
 * by storing {@code __schemas.<topic>} like any other topic.
 *
 * <pre>{@code
 * class InMemorySchemaContractTest extends SchemaContractTest {
 *     @Override
 *     protected BackendFixture fixture() {
 *         return () -> Streamable.open("memory:schema-contract");
 *     }
 * }
 * }</pre>
 */
public abstract class SchemaContractTest {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * Every message of a test goes under this one sharding key: only messages with one key are
     * ordered on every backend (a partitioned one orders nothing else).
     */
    private static final String KEY = "order-stream";

    /**
     * The backend under test.
     *
     * @return the fixture that opens connections to the backend under test
     */
    protected abstract BackendFixture fixture();

    private final List<Streamable> opened = new ArrayList<>();
    private Streamable streamable;
    private String prefix;

    // ---------------------------------------------------------------- payload types

    /** The first shape of an order. */
    public record OrderV1(String id, long cents) {
    }

    /** Adds an optional note: backward and forward compatible. */
    public record OrderV2(String id, long cents, Optional<String> note) {
    }

    /** Adds a currency with a default, which readers fill in for older messages. */
    public record OrderV3(String id, long cents, Optional<String> note,
                          @JsonProperty(defaultValue = "EUR") String currency) {
    }

    /** Adds a required property without a default: breaks backward compatibility. */
    public record OrderWithRequiredCurrency(String id, long cents, String currency) {
    }

    /** Drops a required property: breaks forward compatibility. */
    public record OrderWithoutCents(String id) {
    }

    /** Changes a property's JSON type: breaks everything but NONE. */
    public record OrderWithTextCents(String id, String cents) {
    }

    /** Chain step 1: compatible with step 2 but not with step 3 in every direction. */
    public record StepOne(String id, Optional<String> a) {
    }

    /** Chain step 2. */
    public record StepTwo(String id) {
    }

    /** Chain step 3: {@code a} comes back as a number. */
    public record StepThree(String id, Optional<Integer> a) {
    }

    /** A version of an order placed event; each record is one version, side by side on a topic. */
    public sealed interface OrderPlaced permits OrderPlacedV1, OrderPlacedV2, OrderPlacedV3 {
    }

    /** Version 1: an amount in cents. */
    public record OrderPlacedV1(String id, long cents) implements OrderPlaced {
    }

    /** Version 2: the amount became a decimal with a currency; a deliberate break. */
    public record OrderPlacedV2(String id, BigDecimal amount, String currency) implements OrderPlaced {
    }

    /** Version 3: adds the customer. */
    public record OrderPlacedV3(String id, BigDecimal amount, String currency, String customer) implements OrderPlaced {
    }

    /** Claims the name of {@link OrderPlacedV1} with a changed type: rejected under BACKWARD. */
    public sealed interface ChangedOrderPlaced permits ChangedOrderPlacedV1 {
    }

    /** {@link OrderPlacedV1} with its cents as text. */
    @com.fasterxml.jackson.annotation.JsonTypeName("OrderPlacedV1")
    public record ChangedOrderPlacedV1(String id, String cents) implements ChangedOrderPlaced {
    }

    /** The same versions plus a new, unrelated record: accepted, the new record needs no compatibility. */
    public sealed interface GrownOrderPlaced permits GrownOrderPlacedV1, GrownOrderPlacedV4 {
    }

    /** Same shape as {@link OrderPlacedV1}. */
    @com.fasterxml.jackson.annotation.JsonTypeName("OrderPlacedV1")
    public record GrownOrderPlacedV1(String id, long cents) implements GrownOrderPlaced {
    }

    /** A brand-new version. */
    @com.fasterxml.jackson.annotation.JsonTypeName("OrderPlacedV4")
    public record GrownOrderPlacedV4(String orderId, List<String> items) implements GrownOrderPlaced {
    }

    /** Status values for the java.time/Optional/enum round trip. */
    public enum Status {
        /** Not paid yet. */
        OPEN,
        /** Paid. */
        PAID
    }

    /** A nested record. */
    public record Line(String sku, int quantity) {
    }

    /** Everything Jackson must handle out of the box. */
    public record Modern(String id, Instant at, LocalDate day, Duration timeout, Optional<String> present,
                         Optional<String> absent, Status status, List<Line> lines, Map<String, Long> totals) {
    }

    // ---------------------------------------------------------------- plumbing

    @BeforeEach
    void open(TestInfo info) {
        streamable = connect();
        prefix = "schema-" + info.getTestMethod().map(m -> m.getName()).orElse("t") + "-" + TOPICS.incrementAndGet()
                + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    @AfterEach
    void closeAll() {
        Collections.reverse(opened);
        opened.forEach(Streamable::close);
        opened.clear();
    }

    private Streamable connect() {
        Streamable connection = fixture().open();
        opened.add(connection);
        return connection;
    }

    private String topicName(String suffix) {
        return prefix + "-" + suffix;
    }

    private static <T> void write(Streamable streamable, Topic<T> topic, String key, T payload) {
        try (Producer<T> producer = streamable.producer(topic)) {
            producer.appendAndWait(key, payload);
        }
    }

    private <T> List<Message<T>> readAll(Topic<T> topic, int expected) {
        List<Message<T>> received = new CopyOnWriteArrayList<>();
        try (Consumer<T> consumer = streamable.consumer(topic).startFrom(StartFrom.beginning())
                .failurePolicy(FailurePolicy.stopOnFirstFailure())
                .handler(received::add).start()) {
            await().atMost(WAIT).until(() -> received.size() >= expected || !consumer.isRunning());
            assertThat(consumer.isRunning()).as("the consumer is still running (it did not stop on a failure)").isTrue();
        }
        assertThat(received).hasSize(expected);
        return new ArrayList<>(received);
    }

    private static int versionOf(Message<?> message) {
        return Integer.parseInt(message.header(SchemaRegistry.VERSION_HEADER).orElseThrow());
    }

    // ---------------------------------------------------------------- tests

    @Nested
    @DisplayName("Registration")
    class Registration {
        @Test
        @DisplayName("opening a producer registers version 1, and every message records its version")
        void firstVersion() {
            Topic<OrderV1> topic = Topic.of(topicName("orders"), OrderV1.class);
            write(streamable, topic, KEY, new OrderV1("o-1", 100));
            assertThat(streamable.schemas().versions(topic.name())).singleElement().satisfies(v -> {
                assertThat(v.version()).isEqualTo(1);
                assertThat(v.typeName()).isEqualTo(OrderV1.class.getName());
            });
            assertThat(readAll(topic, 1)).singleElement().satisfies(m -> assertThat(versionOf(m)).isEqualTo(1));
        }

        @Test
        @DisplayName("registering the same type again, from another connection too, keeps its version")
        void idempotent() {
            Topic<OrderV1> topic = Topic.of(topicName("orders"), OrderV1.class);
            write(streamable, topic, KEY, new OrderV1("o-1", 100));
            write(connect(), topic, KEY, new OrderV1("o-2", 200));
            write(connect(), Topic.of(topic.name(), OrderV2.class), KEY, new OrderV2("o-3", 300, Optional.empty()));
            write(connect(), topic, KEY, new OrderV1("o-4", 400));
            assertThat(streamable.schemas().versions(topic.name())).extracting(SchemaVersion::version).containsExactly(1, 2);
            assertThat(readAll(topic, 4)).extracting(SchemaContractTest::versionOf).containsExactly(1, 1, 2, 1);
        }

        @Test
        @DisplayName("the compatibility mode is stored in the backend: every connection sees it")
        void modeIsShared() {
            String name = topicName("orders");
            assertThat(streamable.schemas().compatibility(name)).isEqualTo(CompatibilityMode.BACKWARD);
            streamable.schemas().setCompatibility(name, CompatibilityMode.FULL_TRANSITIVE);
            assertThat(connect().schemas().compatibility(name)).isEqualTo(CompatibilityMode.FULL_TRANSITIVE);
        }

        @Test
        @DisplayName("schema topics are framework-internal: topics() does not list them")
        void schemaTopicsHidden() {
            Topic<OrderV1> topic = Topic.of(topicName("orders"), OrderV1.class);
            write(streamable, topic, KEY, new OrderV1("o-1", 100));
            assertThat(streamable.topics()).contains(topic.name())
                    .doesNotContain(SchemaRegistry.schemaTopic(topic.name()))
                    .noneMatch(name -> name.startsWith("__"));
        }

        @Test
        @DisplayName("a schemaless producer (JsonNode) registers nothing and stamps its payloads with the latest"
                + " version they match; typed producers are still checked against the typed versions, and a JsonNode"
                + " consumer reads every version")
        void schemaless() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            com.fasterxml.jackson.databind.node.ObjectNode tree = com.fasterxml.jackson.databind.node.JsonNodeFactory
                    .instance.objectNode().put("id", "o-2").put("cents", 200);
            write(streamable, Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class), KEY, tree);
            assertThat(streamable.schemas().versions(name)).hasSize(1);
            write(streamable, Topic.of(name, OrderV2.class), KEY, new OrderV2("o-3", 300, Optional.empty()));
            assertThat(streamable.schemas().versions(name)).hasSize(2);

            List<Message<com.fasterxml.jackson.databind.JsonNode>> all =
                    readAll(Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class), 3);
            assertThat(all).extracting(m -> m.payload().get("id").asText()).containsExactly("o-1", "o-2", "o-3");
            assertThat(all).extracting(m -> m.header(SchemaRegistry.VERSION_HEADER))
                    .containsExactly(Optional.of("1"), Optional.of("1"), Optional.of("2"));
            assertThat(readAll(Topic.of(name, OrderV2.class), 3)).extracting(m -> m.payload().id())
                    .containsExactly("o-1", "o-2", "o-3");
        }

        @Test
        @DisplayName("of two connections racing to register conflicting types, exactly one wins and all agree")
        void concurrentRegistrations() throws Exception {
            record WithNote(String id, long cents, Optional<String> note) {
            }
            record WithNumberNote(String id, long cents, Optional<Integer> note) {
            }
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            Streamable left = connect();
            Streamable right = connect();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Boolean> a = pool.submit(() -> opens(left, Topic.of(name, WithNote.class), start));
                Future<Boolean> b = pool.submit(() -> opens(right, Topic.of(name, WithNumberNote.class), start));
                start.countDown();
                assertThat(List.of(a.get(60, TimeUnit.SECONDS), b.get(60, TimeUnit.SECONDS)))
                        .as("exactly one registration is accepted").containsExactlyInAnyOrder(true, false);
            } finally {
                pool.shutdownNow();
            }
            List<SchemaVersion> seen = streamable.schemas().versions(name);
            assertThat(seen).hasSize(2);
            assertThat(left.schemas().versions(name)).isEqualTo(seen);
            assertThat(right.schemas().versions(name)).isEqualTo(seen);
        }

        private boolean opens(Streamable connection, Topic<?> topic, CountDownLatch start) throws InterruptedException {
            start.await();
            try {
                connection.producer(topic).close();
                return true;
            } catch (IncompatibleSchemaException e) {
                return false;
            }
        }
    }

    @Nested
    @DisplayName("Compatibility modes")
    class Modes {
        private String base(CompatibilityMode mode) {
            String name = topicName(mode.name().toLowerCase(java.util.Locale.ROOT));
            streamable.schemas().setCompatibility(name, mode);
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            return name;
        }

        private void accepted(String name, Class<?> type) {
            streamable.producer(Topic.of(name, type)).close();
        }

        private void rejected(String name, Class<?> type, String path, String change) {
            int versions = streamable.schemas().versions(name).size();
            assertThatThrownBy(() -> streamable.producer(Topic.of(name, type)))
                    .isInstanceOf(IncompatibleSchemaException.class)
                    .hasMessageContaining(type.getName())
                    .hasMessageContaining(path + " (conflicts with version")
                    .hasMessageContaining(change)
                    .hasMessageContaining("Fix: ")
                    .satisfies(e -> assertThat(((IncompatibleSchemaException) e).problems())
                            .anySatisfy(p -> assertThat(p.path()).isEqualTo(path)));
            assertThat(streamable.schemas().versions(name)).as("nothing was registered").hasSize(versions);
        }

        @Test
        @DisplayName("BACKWARD accepts an optional property, rejects a new required one and a changed type")
        void backward() {
            String name = base(CompatibilityMode.BACKWARD);
            rejected(name, OrderWithRequiredCurrency.class, "currency", "do not have it");
            rejected(name, OrderWithTextCents.class, "cents", "JSON type changed from integer");
            accepted(name, OrderV2.class);
            accepted(name, OrderWithoutCents.class);
        }

        @Test
        @DisplayName("FORWARD accepts a new required property, rejects removing a required one")
        void forward() {
            String name = base(CompatibilityMode.FORWARD);
            rejected(name, OrderWithoutCents.class, "cents", "consumers on version 1 require it");
            accepted(name, OrderWithRequiredCurrency.class);
        }

        @Test
        @DisplayName("FULL accepts an optional property, rejects both a new required and a removed required one")
        void full() {
            String name = base(CompatibilityMode.FULL);
            rejected(name, OrderWithRequiredCurrency.class, "currency", "do not have it");
            rejected(name, OrderWithoutCents.class, "cents", "require it");
            accepted(name, OrderV2.class);
        }

        @Test
        @DisplayName("NONE accepts any change")
        void none() {
            String name = base(CompatibilityMode.NONE);
            accepted(name, OrderWithTextCents.class);
            accepted(name, OrderWithRequiredCurrency.class);
        }

        @Test
        @DisplayName("the TRANSITIVE modes reject a change that only an older version conflicts with")
        void transitive() {
            for (CompatibilityMode mode : List.of(CompatibilityMode.BACKWARD_TRANSITIVE,
                    CompatibilityMode.FORWARD_TRANSITIVE, CompatibilityMode.FULL_TRANSITIVE)) {
                String name = topicName(mode.name().toLowerCase(java.util.Locale.ROOT));
                streamable.schemas().setCompatibility(name, mode);
                accepted(name, StepOne.class);
                accepted(name, StepTwo.class);
                rejected(name, StepThree.class, "a", "version 1");
            }
            for (CompatibilityMode mode : List.of(CompatibilityMode.BACKWARD, CompatibilityMode.FORWARD,
                    CompatibilityMode.FULL)) {
                String name = topicName("plain-" + mode.name().toLowerCase(java.util.Locale.ROOT));
                streamable.schemas().setCompatibility(name, mode);
                accepted(name, StepOne.class);
                accepted(name, StepTwo.class);
                accepted(name, StepThree.class);
            }
        }
    }

    @Nested
    @DisplayName("Evolution")
    class Evolution {
        @Test
        @DisplayName("a topic evolves through three versions with data written by each; the newest consumer reads it all")
        void threeVersions() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            write(connect(), Topic.of(name, OrderV2.class), KEY, new OrderV2("o-2", 200, Optional.of("gift")));
            write(connect(), Topic.of(name, OrderV3.class), KEY, new OrderV3("o-3", 300, Optional.empty(), "USD"));

            List<Message<OrderV3>> all = readAll(Topic.of(name, OrderV3.class), 3);
            assertThat(all).extracting(SchemaContractTest::versionOf).containsExactly(1, 2, 3);
            assertThat(all).extracting(Message::payload).containsExactly(
                    new OrderV3("o-1", 100, Optional.empty(), "EUR"),
                    new OrderV3("o-2", 200, Optional.of("gift"), "EUR"),
                    new OrderV3("o-3", 300, Optional.empty(), "USD"));
        }

        @Test
        @DisplayName("versions side by side: each message decodes to the record it was written as")
        void sealedVersions() {
            Topic<OrderPlaced> topic = Topic.of(topicName("placed"), OrderPlaced.class);
            try (Producer<OrderPlaced> producer = streamable.producer(topic)) {
                producer.appendAndWait(KEY, new OrderPlacedV1("o-1", 1250));
                producer.appendAndWait(KEY, new OrderPlacedV2("o-2", new BigDecimal("13.50"), "EUR"));
                producer.appendAndWait(KEY, new OrderPlacedV3("o-3", new BigDecimal("7.00"), "USD", "c-9"));
            }
            List<Message<OrderPlaced>> all = readAll(topic, 3);
            assertThat(all).extracting(Message::payload).containsExactly(
                    new OrderPlacedV1("o-1", 1250),
                    new OrderPlacedV2("o-2", new BigDecimal("13.50"), "EUR"),
                    new OrderPlacedV3("o-3", new BigDecimal("7.00"), "USD", "c-9"));
            assertThat(all).extracting(m -> m.header(SchemaRegistry.VARIANT_HEADER).orElseThrow())
                    .containsExactly("OrderPlacedV1", "OrderPlacedV2", "OrderPlacedV3");
            assertThat(streamable.schemas().versions(topic.name())).extracting(SchemaVersion::variant)
                    .containsExactly("OrderPlacedV1", "OrderPlacedV2", "OrderPlacedV3");
        }

        @Test
        @DisplayName("upcasters turn old versions into the newest, so a handler sees one type")
        void upcasters() {
            Topic<OrderPlaced> topic = Topic.of(topicName("placed"), OrderPlaced.class);
            try (Producer<OrderPlaced> producer = streamable.producer(topic)) {
                producer.appendAndWait(KEY, new OrderPlacedV1("o-1", 1250));
                producer.appendAndWait(KEY, new OrderPlacedV2("o-2", new BigDecimal("13.50"), "EUR"));
                producer.appendAndWait(KEY, new OrderPlacedV3("o-3", new BigDecimal("7.00"), "USD", "c-9"));
            }
            streamable.schemas().addUpcaster(Upcaster.of(OrderPlacedV1.class, OrderPlacedV2.class,
                    v1 -> new OrderPlacedV2(v1.id(), BigDecimal.valueOf(v1.cents(), 2), "EUR")));
            streamable.schemas().addUpcaster(Upcaster.of(OrderPlacedV2.class, OrderPlacedV3.class,
                    v2 -> new OrderPlacedV3(v2.id(), v2.amount(), v2.currency(), "unknown")));

            List<Message<OrderPlacedV3>> newest = readAll(Topic.of(topic.name(), OrderPlacedV3.class), 3);
            assertThat(newest).extracting(Message::payload).containsExactly(
                    new OrderPlacedV3("o-1", new BigDecimal("12.50"), "EUR", "unknown"),
                    new OrderPlacedV3("o-2", new BigDecimal("13.50"), "EUR", "unknown"),
                    new OrderPlacedV3("o-3", new BigDecimal("7.00"), "USD", "c-9"));
            assertThat(readAll(topic, 3)).extracting(Message::payload).allMatch(p -> p instanceof OrderPlacedV3);
        }

        @Test
        @DisplayName("a changed record of a sealed interface is checked against that record's earlier version only")
        void variantsAreChecked() {
            String name = topicName("placed");
            streamable.producer(Topic.of(name, OrderPlaced.class)).close();
            assertThat(streamable.schemas().versions(name)).hasSize(3);
            assertThatThrownBy(() -> streamable.producer(Topic.of(name, ChangedOrderPlaced.class)))
                    .isInstanceOf(IncompatibleSchemaException.class)
                    .hasMessageContaining("cents (conflicts with version 1)");
            streamable.producer(Topic.of(name, GrownOrderPlaced.class)).close();
            assertThat(streamable.schemas().versions(name)).extracting(SchemaVersion::variant)
                    .containsExactly("OrderPlacedV1", "OrderPlacedV2", "OrderPlacedV3", "OrderPlacedV4");
        }

        @Test
        @DisplayName("records, Optional, java.time, enums, lists and maps round-trip as JSON out of the box")
        void modernJava() {
            Topic<Modern> topic = Topic.of(topicName("modern"), Modern.class);
            Modern value = new Modern("m-1", Instant.parse("2026-11-26T10:15:30.123Z"), LocalDate.of(2026, 2, 28),
                    Duration.ofSeconds(90), Optional.of("here"), Optional.empty(), Status.PAID,
                    List.of(new Line("sku-1", 2), new Line("sku-2", 1)), Map.of("net", 100L, "tax", 19L));
            write(streamable, topic, "m-1", value);
            assertThat(readAll(topic, 1)).singleElement().extracting(Message::payload).isEqualTo(value);
        }
    }

    @Nested
    @DisplayName("Schemaless producers (JsonNode, Object) on typed topics")
    class Schemaless {
        @Test
        @DisplayName("a payload that does not match the topic's latest version is refused, naming what differs,"
                + " and nothing is written")
        void mismatchRefused() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            com.fasterxml.jackson.databind.node.JsonNodeFactory json = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
            try (Producer<com.fasterxml.jackson.databind.JsonNode> trees =
                         streamable.producer(Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class));
                 Producer<Object> objects = streamable.producer(Topic.of(name, Object.class))) {
                assertThatThrownBy(() -> trees.append(KEY, json.objectNode().put("totally", "different")))
                        .isInstanceOf(io.streamable.codec.PayloadCodecException.class)
                        .hasMessageContaining("topic \"" + name + "\"").hasMessageContaining("version 1")
                        .hasMessageContaining("$.id: required but missing").hasMessageContaining("$.cents: required")
                        .hasMessageContaining("$.totally: not a property");
                assertThatThrownBy(() -> trees.append(KEY, json.objectNode().put("id", "o-x").put("cents", "lots")))
                        .isInstanceOf(io.streamable.codec.PayloadCodecException.class)
                        .hasMessageContaining("$.cents: expected an integer, got a string");
                assertThatThrownBy(() -> objects.append(KEY, Map.of("id", 7, "cents", 1)))
                        .isInstanceOf(io.streamable.codec.PayloadCodecException.class)
                        .hasMessageContaining("$.id: expected a string, got an integer");
                objects.appendAndWait(KEY, Map.of("id", "o-2", "cents", 200));
            }
            List<Message<OrderV1>> read = readAll(Topic.of(name, OrderV1.class), 2);
            assertThat(read).extracting(Message::payload).containsExactly(new OrderV1("o-1", 100), new OrderV1("o-2", 200));
            assertThat(read).extracting(SchemaContractTest::versionOf).containsExactly(1, 1);
        }

        @Test
        @DisplayName("a schemaless producer opened on a topic without versions writes unversioned, and stamps its"
                + " payloads as soon as a typed producer of the connection registers the first version")
        void firstVersionLater() {
            String name = topicName("orders");
            com.fasterxml.jackson.databind.node.JsonNodeFactory json = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
            try (Producer<com.fasterxml.jackson.databind.JsonNode> trees =
                         streamable.producer(Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class))) {
                trees.appendAndWait(KEY, json.objectNode().put("anything", "goes"));
                write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
                trees.appendAndWait(KEY, json.objectNode().put("id", "o-2").put("cents", 200));
                assertThatThrownBy(() -> trees.append(KEY, json.objectNode().put("anything", "goes")))
                        .isInstanceOf(io.streamable.codec.PayloadCodecException.class)
                        .hasMessageContaining("$.anything: not a property");
            }
            assertThat(readAll(Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class), 3))
                    .extracting(m -> m.header(SchemaRegistry.VERSION_HEADER))
                    .containsExactly(Optional.empty(), Optional.of("1"), Optional.of("1"));
        }

        @Test
        @DisplayName("on a sealed family, a payload is stamped with the newest record version it matches, which a"
                + " consumer of the sealed type decodes as that record")
        void sealedFamily() {
            String name = topicName("placed");
            write(streamable, Topic.of(name, OrderPlaced.class), KEY, new OrderPlacedV1("o-1", 100));
            com.fasterxml.jackson.databind.node.ObjectNode v2 = com.fasterxml.jackson.databind.node.JsonNodeFactory
                    .instance.objectNode().put("id", "o-2").put("currency", "EUR");
            v2.put("amount", new BigDecimal("2.50"));
            write(streamable, Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class), KEY, v2);
            List<Message<OrderPlaced>> read = readAll(Topic.of(name, OrderPlaced.class), 2);
            assertThat(read).extracting(Message::payload).containsExactly(new OrderPlacedV1("o-1", 100),
                    new OrderPlacedV2("o-2", new BigDecimal("2.50"), "EUR"));
            assertThat(read.get(1).header(SchemaRegistry.VARIANT_HEADER)).contains("OrderPlacedV2");
        }

        @Test
        @DisplayName("a message without a version header on a versioned topic is a poison message, not decoded as is;"
                + " a JsonNode consumer still reads it")
        void unversionedOnVersionedTopic() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            byte[] foreign = "{\"totally\":\"different\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            io.streamable.Position unversioned = streamable.backend().topic(name)
                    .append(List.of(new io.streamable.backend.AppendRecord(KEY, Optional.empty(), Map.of(), foreign)))
                    .orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join().get(0);
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-3", 300));

            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            List<Message<OrderV1>> handled = new CopyOnWriteArrayList<>();
            try (Consumer<OrderV1> consumer = streamable.consumer(Topic.of(name, OrderV1.class))
                    .failurePolicy(FailurePolicy.retry(3).thenSkip())
                    .onFailure(failures::add)
                    .handler(handled::add).start()) {
                await().atMost(WAIT).until(() -> handled.size() >= 2);
            }
            assertThat(handled).extracting(Message::payload).containsExactly(new OrderV1("o-1", 100), new OrderV1("o-3", 300));
            assertThat(failures).singleElement().satisfies(f -> {
                assertThat(f.outcome()).isEqualTo(ConsumerFailure.Outcome.SKIPPED);
                assertThat(f.attempts()).isEqualTo(1);
                assertThat(f.position()).contains(unversioned);
                assertThat(f.cause()).isInstanceOf(io.streamable.codec.PayloadCodecException.class);
                assertThat(f.cause().getMessage()).contains("topic \"" + name + "\"")
                        .contains("position " + unversioned).contains("has no " + SchemaRegistry.VERSION_HEADER);
            });
            assertThat(readAll(Topic.of(name, com.fasterxml.jackson.databind.JsonNode.class), 3))
                    .extracting(m -> m.payload().has("totally")).containsExactly(false, true, false);
        }
    }

    @Nested
    @DisplayName("Poison messages")
    class Poison {
        @Test
        @DisplayName("a message the consumer's type cannot read goes to the failure policy, named by topic, position,"
                + " version and problem")
        void unreadableVersion() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            write(streamable, Topic.of(name, OrderV2.class), KEY, new OrderV2("o-2", 200, Optional.empty()));

            // this reader requires a currency, which no stored version has
            Topic<OrderWithRequiredCurrency> strict = Topic.of(name, OrderWithRequiredCurrency.class);
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            List<Message<OrderWithRequiredCurrency>> handled = new CopyOnWriteArrayList<>();
            try (Consumer<OrderWithRequiredCurrency> consumer = streamable.consumer(strict)
                    .failurePolicy(FailurePolicy.retry(3).thenSkip())
                    .onFailure(failures::add)
                    .handler(handled::add).start()) {
                await().atMost(WAIT).until(() -> failures.size() >= 2);
            }
            assertThat(handled).isEmpty();
            assertThat(failures).hasSize(2);
            ConsumerFailure first = failures.get(0);
            assertThat(first.outcome()).isEqualTo(ConsumerFailure.Outcome.SKIPPED);
            assertThat(first.attempts()).as("undecodable messages are not retried").isEqualTo(1);
            assertThat(first.position()).isPresent();
            assertThat(first.cause().getMessage())
                    .contains("topic \"" + name + "\"")
                    .contains("position " + first.position().get())
                    .contains("schema version 1")
                    .contains("currency");
            assertThat(failures.get(1).cause().getMessage()).contains("schema version 2");
        }

        @Test
        @DisplayName("a dead-lettered message keeps its version, which a reader of the dead-letter topic resolves"
                + " against the source topic")
        void deadLetteredKeepsVersion() {
            String name = topicName("orders");
            String deadLetters = topicName("orders-dlq");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            write(streamable, Topic.of(name, OrderV2.class), KEY, new OrderV2("o-2", 200, Optional.of("gift")));
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            try (Consumer<OrderWithRequiredCurrency> consumer = streamable.consumer(
                            Topic.of(name, OrderWithRequiredCurrency.class))
                    .failurePolicy(FailurePolicy.stopOnFirstFailure().thenDeadLetter(deadLetters))
                    .onFailure(failures::add)
                    .handler(m -> { }).start()) {
                await().atMost(WAIT).until(() -> failures.size() >= 2);
            }
            assertThat(failures).extracting(ConsumerFailure::outcome)
                    .containsOnly(ConsumerFailure.Outcome.DEAD_LETTERED);

            List<Message<OrderV2>> letters = readAll(Topic.of(deadLetters, OrderV2.class), 2);
            assertThat(letters).extracting(SchemaContractTest::versionOf).containsExactly(1, 2);
            assertThat(letters).extracting(Message::payload).containsExactly(
                    new OrderV2("o-1", 100, Optional.empty()), new OrderV2("o-2", 200, Optional.of("gift")));
        }

        @Test
        @DisplayName("a message written as a record the consumer's sealed type does not know is a poison message")
        void unknownVariant() {
            String name = topicName("orders");
            write(streamable, Topic.of(name, OrderV1.class), KEY, new OrderV1("o-1", 100));
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            try (Consumer<OrderPlaced> consumer = streamable.consumer(Topic.of(name, OrderPlaced.class))
                    .failurePolicy(FailurePolicy.stopOnFirstFailure())
                    .onFailure(failures::add)
                    .handler(m -> { }).start()) {
                await().atMost(WAIT).until(() -> !consumer.isRunning());
            }
            assertThat(failures).singleElement().satisfies(f -> {
                assertThat(f.outcome()).isEqualTo(ConsumerFailure.Outcome.STOPPED);
                assertThat(f.cause().getMessage()).contains("schema version 1").contains(OrderV1.class.getName())
                        .contains(OrderPlaced.class.getName());
            });
        }
    }
}
