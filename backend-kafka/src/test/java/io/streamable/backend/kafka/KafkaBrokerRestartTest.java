package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFailure;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker goes away and comes back while a named consumer streams and a producer appends.
 * Restarts the shared embedded broker (same ports, same data); other test classes run before or
 * after, never during ({@link Isolated}, also when the contract suites run in parallel), and
 * reconnect on their own.
 */
@Isolated("restarts the broker every test shares")
class KafkaBrokerRestartTest {

    record Tick(int sequence) {
    }

    /**
     * The embedded broker; the only skip in the Kafka tests, and a deliberate one: an external
     * cluster named by {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE} cannot be restarted.
     */
    private static EmbeddedKafka restartableBroker() {
        EmbeddedKafka.Target target = EmbeddedKafka.shared();
        assumeThat(target.embedded()).as("restarting needs the embedded broker, not the external cluster "
                + EmbeddedKafka.BOOTSTRAP_ENVIRONMENT_VARIABLE + " names").isPresent();
        return target.embedded().orElseThrow();
    }

    @Test
    @DisplayName("a streaming consumer survives a broker restart and misses nothing; appends fail clearly while it is down")
    void consumerResumesAfterBrokerRestart() throws Exception {
        EmbeddedKafka broker = restartableBroker();
        Topic<Tick> topic = Topic.of(KafkaTestSupport.uniqueTopic("restart"), Tick.class);
        int total = 400;
        Set<Integer> received = ConcurrentHashMap.newKeySet();
        List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
        CountDownLatch firstHalf = new CountDownLatch(total / 2);
        try (Streamable consuming = KafkaTestSupport.open(); Streamable producing = KafkaTestSupport.open();
             Streamable impatient = Streamable.open(KafkaTestSupport.url(
                     "kafka.delivery.timeout.ms=3000&kafka.request.timeout.ms=1000&kafka.buffer.memory=65536"))) {
            Producer<Tick> producer = producing.producer(topic);
            Producer<Tick> impatientProducer = impatient.producer(topic);
            Consumer<Tick> consumer = consuming.consumer(topic).name("restart-survivor")
                    .handler(message -> {
                        received.add(message.payload().sequence());
                        firstHalf.countDown();
                    })
                    .onFailure(failures::add)
                    .start();
            AtomicBoolean appending = new AtomicBoolean(true);
            AtomicInteger appended = new AtomicInteger();
            CompletableFuture<Void> appender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < total && appending.get(); i++) {
                    // appendAndWait rides out the outage: the producer retries within its delivery timeout
                    producer.appendAndWait("sensor-" + (i % 5), new Tick(i));
                    appended.incrementAndGet();
                }
            });
            assertThat(firstHalf.await(60, TimeUnit.SECONDS)).isTrue();

            impatientProducer.appendAndWait("sensor-x", new Tick(-1)); // the producer knows the topic
            broker.stop();
            try {
                // append() returns at once while the broker is down, also once the producer's buffer
                // (64 KiB here) is full and appends wait in the lane; every future fails within the
                // delivery timeout (3 s) plus the lane's last retry
                List<CompletableFuture<Position>> doomed = new java.util.ArrayList<>();
                List<Long> micros = new java.util.ArrayList<>();
                String big = "x".repeat(2000);
                for (int i = 0; i < 60; i++) {
                    long started = System.nanoTime();
                    doomed.add(impatientProducer.append(OutgoingMessage.of("sensor-x", new Tick(-2)).withHeader("pad", big)));
                    micros.add(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started));
                }
                long failDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 + 5);
                List<Long> sorted = micros.stream().sorted().toList();
                assertThat(sorted.get(sorted.size() / 2)).as("median append call, µs").isLessThan(10_000);
                assertThat(sorted.get(sorted.size() - 1)).as("slowest append call, µs").isLessThan(100_000);
                for (CompletableFuture<Position> future : doomed) {
                    assertThatThrownBy(() -> future.get(Math.max(1, failDeadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                            .isInstanceOf(ExecutionException.class)
                            .cause().isInstanceOf(BackendUnavailableException.class)
                            .hasMessageContaining(broker.bootstrapServers()).hasMessageNotContaining("(null)");
                }
            } finally {
                broker.startAgain();
            }

            appender.get(120, TimeUnit.SECONDS);
            assertThat(appended.get()).isEqualTo(total);
            await().atMost(Duration.ofSeconds(90)).until(() -> received.containsAll(range(total)));
            assertThat(consumer.isRunning()).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> consumer.lag() == 0);
            consumer.close();
            assertThat(consuming.backend().topic(topic.name()).lag(
                    consuming.backend().topic(topic.name()).savedPosition("restart-survivor"))).isZero();
        }
    }

    @Test
    @DisplayName("while the broker is down, an append beyond maxPendingRecords fails at once and says what to do;"
            + " the appends accepted before it are all stored once the broker is back, the refused ones not")
    void pendingAppendsAreBounded() throws Exception {
        EmbeddedKafka broker = restartableBroker();
        Topic<Tick> topic = Topic.of(KafkaTestSupport.uniqueTopic("bounded"), Tick.class);
        int bound = 20;
        // a 64 KiB producer buffer takes a few dozen of the 2 KB records below, the lane then 20 more
        try (Streamable bounded = Streamable.open(KafkaTestSupport.url("kafka.buffer.memory=65536"
                + "&kafka.delivery.timeout.ms=120000&maxPendingRecords=" + bound))) {
            KafkaBackend backend = (KafkaBackend) bounded.backend();
            Producer<Tick> producer = bounded.producer(topic);
            producer.appendAndWait("sensor", new Tick(0)); // the producer knows the topic
            String pad = "x".repeat(2000);
            List<CompletableFuture<Position>> futures = new java.util.ArrayList<>();
            broker.stop();
            try {
                for (int i = 1; i <= 120; i++) {
                    futures.add(producer.append(OutgoingMessage.of("sensor", new Tick(i)).withHeader("pad", pad)));
                }
                assertThat(backend.pending()[0]).as("records waiting in the lane").isEqualTo(bound);
                // refusals complete at once; accepted appends wait for the broker (delivery timeout 120 s)
                await().atMost(Duration.ofSeconds(10)).until(() -> futures.stream().filter(f -> f.isDone()).count()
                        == futures.stream().filter(CompletableFuture::isCompletedExceptionally).count()
                        && futures.stream().anyMatch(CompletableFuture::isCompletedExceptionally));
                for (int i = 0; i < futures.size(); i++) {
                    if (futures.get(i).isCompletedExceptionally()) {
                        assertThat(futures.subList(i, futures.size())).as("appends after the first refused one")
                                .allMatch(CompletableFuture::isCompletedExceptionally);
                        break;
                    }
                }
                CompletableFuture<Position> refused = futures.get(futures.size() - 1);
                assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(BackendUnavailableException.class)
                        .hasMessageContaining("maxPendingRecords").hasMessageContaining("not stored")
                        .hasMessageContaining(broker.bootstrapServers());
            } finally {
                broker.startAgain();
            }

            Set<Integer> accepted = new java.util.TreeSet<>(Set.of(0));
            for (int i = 0; i < futures.size(); i++) {
                if (!futures.get(i).isCompletedExceptionally()) {
                    futures.get(i).get(120, TimeUnit.SECONDS); // stored once the broker is back
                    accepted.add(i + 1);
                }
            }
            assertThat(accepted).as("appends accepted while the broker was down").hasSizeGreaterThan(bound);
            assertThat(backend.pending()).as("lane room given back").containsExactly(0L, 0L);
            List<Integer> stored = new CopyOnWriteArrayList<>();
            try (Consumer<Tick> consumer = bounded.consumer(topic).handler(message -> stored.add(message.payload().sequence()))
                    .start()) {
                await().atMost(Duration.ofSeconds(60)).until(() -> stored.size() >= accepted.size());
                consumer.awaitCaughtUp(Duration.ofSeconds(30));
            }
            assertThat(stored).as("stored: every accepted append once, in order, and nothing refused")
                    .containsExactlyElementsOf(accepted);
        }
    }

    private static Set<Integer> range(int total) {
        Set<Integer> all = new java.util.HashSet<>();
        for (int i = 0; i < total; i++) {
            all.add(i);
        }
        return all;
    }
}
