package io.streamable.backend.mongoredis;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFailure;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Real server processes stopped and restarted under a running consumer and producers. */
class FaultToleranceTest {
    private static final Topic<String> TOPIC = Topic.of("faults", String.class);
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        open.add(resource);
        return resource;
    }

    private static List<String> payloads(List<Message<String>> messages) {
        return messages.stream().map(Message::payload).toList();
    }

    private static List<String> range(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> "m" + i).toList();
    }

    @Test
    @DisplayName("Redis stopped while producers write: appends succeed, nothing is lost, delivery resumes on resubscription")
    void redisOutage() {
        TestServers.EmbeddedRedis redis = track(TestServers.startRedis());
        String database = TestServers.freshDatabase();
        Streamable producerSide = track(Streamable.open(TestServers.urlFor(TestServers.mongoUri(), redis.uri(), database)));
        // a far safety poll: only signals and resubscription can wake this consumer
        Streamable consumerSide = track(Streamable.open(TestServers.urlFor(TestServers.mongoUri(), redis.uri(), database,
                "safetyPoll=10m")));
        MongoRedisBackend consumerBackend = (MongoRedisBackend) consumerSide.backend();
        await().atMost(PATIENCE).until(consumerBackend::signalsSubscribed);

        List<Message<String>> received = new CopyOnWriteArrayList<>();
        track(consumerSide.consumer(TOPIC).handler(received::add).start());
        Producer<String> producer = producerSide.producer(TOPIC);
        range(1, 10).forEach(payload -> producer.appendAndWait("k", payload));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).isEqualTo(range(1, 10)));

        redis.stop();
        await().atMost(PATIENCE).until(() -> !consumerBackend.signalsSubscribed());
        // MongoDB accepted them: a Redis outage never fails an append
        range(11, 20).forEach(payload -> producer.appendAndWait("k", payload));

        redis.start();
        await().atMost(PATIENCE).until(consumerBackend::signalsSubscribed);
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).isEqualTo(range(1, 20)));
        // signals flow again
        range(21, 30).forEach(payload -> producer.appendAndWait("k", payload));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).isEqualTo(range(1, 30)));
    }

    @Test
    @DisplayName("MongoDB stopped and restarted on its port: producers get clear errors, the consumer resumes without loss")
    void mongoOutage() {
        TestServers.EmbeddedMongo mongo = track(TestServers.startMongo());
        String database = TestServers.freshDatabase();
        Streamable producerSide = track(Streamable.open(TestServers.urlFor(mongo.uri(), TestServers.redisUri(), database)));
        Streamable consumerSide = track(Streamable.open(TestServers.urlFor(mongo.uri(), TestServers.redisUri(), database,
                "safetyPoll=300ms")));
        List<Message<String>> received = new CopyOnWriteArrayList<>();
        List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = track(consumerSide.consumer(TOPIC).name("reader").commitEvery(1, Duration.ZERO)
                .onFailure(failures::add).handler(received::add).start());
        Producer<String> producer = producerSide.producer(TOPIC);
        range(1, 10).forEach(payload -> producer.appendAndWait("k", payload));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).isEqualTo(range(1, 10)));

        mongo.stop();
        assertThatThrownBy(() -> producer.append("k", "lost").get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("MongoDB is unavailable while appending to topic \"faults\"")
                .hasMessageContaining(mongo.uri().replace("mongodb://", "mongoredis://"));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(failures)
                .anySatisfy(failure -> {
                    assertThat(failure.outcome()).isEqualTo(ConsumerFailure.Outcome.RETRYING);
                    assertThat(failure.cause()).isInstanceOf(BackendUnavailableException.class);
                }));
        assertThat(consumer.isRunning()).isTrue();

        mongo.start();
        // the driver reconnects on its own; the first appends may still fail while it does
        await().atMost(PATIENCE).ignoreExceptionsInstanceOf(CompletionException.class)
                .ignoreExceptionsInstanceOf(BackendUnavailableException.class)
                .until(() -> producer.appendAndWait("k", "m11") != null);
        range(12, 20).forEach(payload -> producer.appendAndWait("k", payload));
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).containsSubsequence(range(1, 20)));
        // nothing twice: positions only grow; "lost" and m11 retries may be stored at most once each
        List<Long> offsets = received.stream().map(m -> m.position().offset()).toList();
        assertThat(offsets).isSorted().doesNotHaveDuplicates();
        assertThat(consumerSide.backend().topic(TOPIC.name()).savedPosition("reader"))
                .hasValueSatisfying(saved -> assertThat(saved.offset()).isGreaterThanOrEqualTo(20));
    }

    @Test
    @DisplayName("a consumer killed without closing restarts by name after its lease expires and resumes after its saved position")
    void killedConsumerResumes() throws Exception {
        String database = TestServers.freshDatabase();
        String url = TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(), database, "leaseTtl=1s");
        Streamable streamable = track(Streamable.open(url));
        Producer<String> producer = streamable.producer(TOPIC);
        range(1, 20).forEach(payload -> producer.appendAndWait("k", payload));

        String java = ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashingConsumerMain.class.getName(), url, TOPIC.name(), "worker", "8")
                .redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                output.add(line);
                if (line.startsWith("blocked")) {
                    break;
                }
            }
            // no clean close: no position save on the way out, no lease release
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(output).as("child output").contains("handled 7 m7", "blocked 8");
        assertThat(streamable.backend().topic(TOPIC.name()).savedPosition("worker")).contains(Position.of(7));

        List<Message<String>> received = new CopyOnWriteArrayList<>();
        // waits for the dead holder's lease to expire, then takes the name over
        track(streamable.consumer(TOPIC).name("worker").handler(received::add).start());
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(payloads(received)).isEqualTo(range(8, 20)));
        assertThat(received.get(0).position()).isEqualTo(Position.of(8));
    }
}
