package io.streamable.examples;

import io.streamable.examples.compaction.CompactionExample;
import io.streamable.examples.failure.FailurePolicies;
import io.streamable.examples.guice.GuiceApplication;
import io.streamable.examples.producerconsumer.ConsumerExample;
import io.streamable.examples.producerconsumer.ProducerAndConsumer;
import io.streamable.examples.producerconsumer.ProducerExample;
import io.streamable.examples.resume.NamedConsumerResume;
import io.streamable.backend.kafka.EmbeddedKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The swap, proven: each example's unchanged {@code main} runs against every backend listed in
 * {@link #backends()}, configured only by the {@code streamable.url} system property (what
 * {@code Streamable.open()} reads after {@code STREAMABLE_URL}), and must print exactly the
 * expected output stored beside this test, the same for every backend.
 *
 * <p>To add a backend, add a {@link Target} to {@link #backends()}: a name, a supplier that
 * returns a URL to an <em>empty</em> store each time it is called (for example a fresh database
 * on an embedded server started by the backend's test support, or a broker started for the test
 * and closed after it), and whether it compacts as the newer message is stored (Kafka's log cleaner compacts later, so the compaction example's
 * read-back differs there and is left out). Extra URLs can also be given at run time, comma
 * separated, in {@code STREAMABLE_EXAMPLE_URLS} (assumed to be empty stores that compact eagerly).
 */
@DisplayName("The same example programs, only the URL changed, print the same output on every backend")
class ExampleSwapTest {

    /**
     * A backend to run the examples on.
     *
     * @param name            shown in the test name
     * @param emptyStore      called once per test: a URL to a store with no topics, and what to
     *                        close after the test (for example a broker started for it)
     * @param compactsEagerly whether a reader right after the appends sees compaction done
     */
    record Target(String name, Supplier<EmptyStore> emptyStore, boolean compactsEagerly) {
        /** A target whose URLs need no cleanup. */
        static Target of(String name, Supplier<String> url, boolean compactsEagerly) {
            return new Target(name, () -> new EmptyStore(url.get(), () -> { }), compactsEagerly);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A URL to an empty store, and what to close once the test is done with it. */
    record EmptyStore(String url, AutoCloseable cleanup) {
    }

    static Stream<Arguments> backends() {
        List<Target> targets = new ArrayList<>();
        // memory:NAME is shared by every connection of this JVM, so the producer and consumer
        // programs, which each open their own connection, see the same data
        targets.add(Target.of("memory", () -> "memory:swap-" + UUID.randomUUID(), true));
        // a fresh database on the embedded (or STREAMABLE_TEST_*_URI) MongoDB and Redis each time
        targets.add(Target.of("mongoredis", () -> io.streamable.backend.mongoredis.TestServers.url(), true));
        // one broker for the whole run (or STREAMABLE_TEST_KAFKA_BOOTSTRAP's cluster), emptied before each test
        targets.add(Target.of("kafka", KafkaStores::empty, false));
        String extra = System.getenv("STREAMABLE_EXAMPLE_URLS");
        if (extra != null) {
            for (String url : extra.split(",")) {
                if (!url.isBlank()) {
                    targets.add(Target.of(url.trim().replaceAll("[:/?].*", ""), url::trim, true));
                }
            }
        }
        return targets.stream().map(Arguments::of);
    }

    private final PrintStream realOut = System.out;
    private ByteArrayOutputStream captured;
    private AutoCloseable cleanup = () -> { };

    @BeforeEach
    void captureStdout() {
        captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() throws Exception {
        System.setOut(realOut);
        System.clearProperty("streamable.url");
        cleanup.close();
    }

    /** Points Streamable.open() at an empty store of the target: the only thing that changes between backends. */
    private void configure(Target target) {
        EmptyStore store = target.emptyStore().get();
        cleanup = store.cleanup();
        System.setProperty("streamable.url", store.url());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("the user's producer script, then the consumer script in its own connection")
    void producerThenConsumer(Target target) throws Exception {
        configure(target);
        ProducerExample.main(new String[0]);
        ConsumerExample.main(new String[] {"--until-caught-up"});
        assertThat(output()).isEqualTo(expected("ProducerAndConsumer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("producer and consumer in one program")
    void producerAndConsumer(Target target) throws Exception {
        configure(target);
        ProducerAndConsumer.main(new String[0]);
        assertThat(output()).isEqualTo(expected("ProducerAndConsumer"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("a named consumer resumes after a restart")
    void namedConsumerResume(Target target) throws Exception {
        configure(target);
        NamedConsumerResume.main(new String[0]);
        assertThat(output()).isEqualTo(expected("NamedConsumerResume"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("failure policies: stop, skip, dead-letter")
    void failurePolicies(Target target) throws Exception {
        configure(target);
        FailurePolicies.main(new String[0]);
        assertThat(output()).isEqualTo(expected("FailurePolicies"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("a Guice application with metrics")
    void guiceApplication(Target target) throws Exception {
        configure(target);
        GuiceApplication.main(new String[0]);
        assertThat(output()).isEqualTo(expected("GuiceApplication"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @DisplayName("compaction keeps the newest message per logCompactId (backends that compact on append)")
    void compaction(Target target) throws Exception {
        configure(target);
        CompactionExample.main(new String[0]);
        List<String> lines = output();
        if (target.compactsEagerly()) {
            assertThat(lines).isEqualTo(expected("CompactionExample"));
        } else {
            // compaction comes later: the read-back may still hold old values, the fold may not differ
            assertThat(lines.get(lines.size() - 1)).isEqualTo("balances: {alice=120, audit-note=0, bob=75, carol=10}");
        }
    }

    private List<String> output() {
        System.out.flush();
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private static List<String> expected(String example) throws IOException {
        try (InputStream in = ExampleSwapTest.class.getResourceAsStream("expected/" + example + ".txt")) {
            assertThat(in).as("expected output of " + example).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    /**
     * Empty Kafka stores on one broker: the examples use fixed topic and consumer names, and Kafka's
     * are cluster-wide, so before each test the topics and consumer groups an earlier test created
     * are deleted. A broker per test would keep them apart too, but costs seconds per start.
     */
    static final class KafkaStores {
        private static final Duration TIMEOUT = Duration.ofSeconds(30);
        /** What the cluster held before the first test: never deleted (matters on an external cluster). */
        private static Set<String> topicsBefore;
        private static Set<String> groupsBefore;

        private KafkaStores() {
        }

        static synchronized String empty() {
            EmbeddedKafka.Target broker = EmbeddedKafka.shared();
            try (Admin admin = Admin.create(Map.<String, Object>of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                Set<String> topics = topics(admin);
                Set<String> groups = groups(admin);
                if (topicsBefore == null) {
                    topicsBefore = topics;
                    groupsBefore = groups;
                }
                topics.removeAll(topicsBefore);
                groups.removeAll(groupsBefore);
                // the examples close their consumers, so their groups are empty and can go
                if (!groups.isEmpty()) {
                    admin.deleteConsumerGroups(groups).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                }
                if (!topics.isEmpty()) {
                    admin.deleteTopics(topics).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    // deletion completes in the background; a topic re-created too soon would clash
                    await("deletion of " + topics).atMost(TIMEOUT)
                            .until(() -> topics(admin).stream().noneMatch(topics::contains));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while emptying the Kafka cluster", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("Could not empty the Kafka cluster at " + broker.bootstrapServers(), e);
            }
            return broker.url("partitions=4");
        }

        private static Set<String> topics(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
            // __schemas.<topic> is listed (not a Kafka-internal topic), so it goes with its topic
            return new HashSet<>(admin.listTopics().names().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        }

        private static Set<String> groups(Admin admin) throws InterruptedException, ExecutionException, TimeoutException {
            Set<String> groups = new HashSet<>();
            for (GroupListing group : admin.listGroups().all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                groups.add(group.groupId());
            }
            return groups;
        }
    }
}
