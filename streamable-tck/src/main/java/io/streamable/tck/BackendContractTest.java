package io.streamable.tck;

import io.streamable.Message;
import io.streamable.PayloadType;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.TopicName;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.codec.PayloadCodecException;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.tck.ContractPayloads.Event;
import io.streamable.tck.ContractPayloads.NumberKey;
import io.streamable.tck.ContractPayloads.Rich;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend contract: every behaviour a storage backend must show through the public API. A
 * backend proves itself by extending this class and returning a {@link BackendFixture}:
 *
 * <pre>{@code
 * class InMemoryContractTest extends BackendContractTest {
 *     @Override
 *     protected BackendFixture fixture() {
 *         return () -> Streamable.open("memory:contract");
 *     }
 * }
 * }</pre>
 *
 * <p>The tests are grouped by feature in {@link Nested} classes. Each test works on topics of its
 * own, with names no other test uses, so the suite may run in parallel and against a backend that
 * keeps data between runs. Every test is a {@link ContractTest}: set {@code -Dstreamable.tck.repeat=N}
 * to run each one N times over fresh topics (stress mode).
 *
 * <p>Backends declare what they can do through {@link BackendFixture#capabilities()}: with
 * {@link Capability#PARTITIONED} the suite checks order per sharding key only; with
 * {@link Capability#LAZY_COMPACTION} it waits up to {@link BackendFixture#compactionTimeout()}
 * for compaction to show.
 */
public abstract class BackendContractTest {
    /** The longest any single wait may take before a test fails: generous, for loaded CI machines. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** The wait for the tests that move tens of thousands of messages. */
    protected static final Duration BULK_TIMEOUT = Duration.ofSeconds(90);
    /** How soon a waiting consumer must see a new message: it is woken by the backend, not by a slow poll. */
    protected static final Duration PROMPTLY = Duration.ofSeconds(10);
    /** Backend clocks may differ a little from the test's, and may keep milliseconds only. */
    private static final Duration CLOCK_SLACK = Duration.ofMinutes(1);
    private static final Duration SHORT_BACKOFF = Duration.ofMillis(5);

    private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();
    private final TestResources resources = new TestResources(this::fixture);

    /**
     * The backend under test. Called once per test; every connection its {@link BackendFixture#open()}
     * makes must see the same stored data.
     *
     * @return the fixture that opens connections to the backend under test
     */
    protected abstract BackendFixture fixture();

    @AfterEach
    void closeWhatTheTestOpened() throws Exception {
        gates.forEach(gate -> {
            while (gate.getCount() > 0) {
                gate.countDown();
            }
        });
        resources.closeAll();
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers shared by the groups below
    // ---------------------------------------------------------------------------------------------

    private BackendFixture backend() {
        return resources.fixture();
    }

    /**
     * Whether the backend declares a capability.
     *
     * @param capability the capability a test needs
     * @return {@code true} when the fixture declares it
     */
    protected final boolean has(Capability capability) {
        return backend().capabilities().contains(capability);
    }

    /**
     * A new connection to the backend, closed after the test.
     *
     * @return the connection, which the test may also close itself
     */
    protected final Streamable connect() {
        return resources.connect();
    }

    /**
     * A topic name no other test (or earlier run against a persistent backend) uses.
     *
     * @param purpose what the test uses the topic for; becomes part of the name
     * @return a legal, unique topic name
     */
    protected static String topicName(String purpose) {
        return "tck-" + purpose + "-" + UUID.randomUUID();
    }

    private static Topic<Event> eventTopic(String purpose) {
        return Topic.of(topicName(purpose), Event.class);
    }

    /** A latch that the test releases itself, or that is released when the test ends, whatever happens. */
    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    private ExecutorService threads(int count) {
        return resources.threads(count);
    }

    private static <T> ConsumerBuilder<T> consumer(Streamable streamable, Topic<T> topic, Recorder<T> recorder) {
        return streamable.consumer(topic).handler(recorder).onCaughtUp(recorder::caughtUp);
    }

    /** Appends events {@code first .. first+count-1} under one key, one batch, and returns their positions. */
    private static List<Position> append(Producer<Event> producer, String key, int first, int count) {
        List<OutgoingMessage<Event>> batch = IntStream.range(first, first + count)
                .mapToObj(seq -> OutgoingMessage.of(key, Event.of(key, seq))).toList();
        return producer.appendAllAndWait(batch);
    }

    /** Everything a reader from the beginning sees right now: it reads until it has caught up. */
    private static <T> List<Message<T>> readAll(Streamable streamable, Topic<T> topic) {
        Recorder<T> recorder = new Recorder<>();
        Consumer<T> reader = consumer(streamable, topic, recorder).start();
        try {
            recorder.awaitDrained(0, TIMEOUT);
            return recorder.handled();
        } finally {
            reader.close();
        }
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20));
    }

    private static void awaitLatch(CountDownLatch latch, Duration timeout, String what) throws InterruptedException {
        assertThat(latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)).as(what).isTrue();
    }

    private static <R> R join(Future<R> future) throws Exception {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new AssertionError("A background task did not finish within " + TIMEOUT, e);
        }
    }

    private static List<Integer> seqs(List<Message<Event>> messages) {
        return messages.stream().map(message -> message.payload().seq()).toList();
    }

    private static List<Integer> range(int first, int last) {
        return IntStream.rangeClosed(first, last).boxed().toList();
    }

    /** The headers a producer set, without those the framework adds under {@code streamable.}. */
    private static Map<String, String> userHeaders(Message<?> message) {
        return message.headers().entrySet().stream()
                .filter(header -> !header.getKey().startsWith(OutgoingMessage.RESERVED_HEADER_PREFIX))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static int partitionOf(Position position) {
        assertThat(position.offsets()).as("a message's position names exactly one partition: %s", position).hasSize(1);
        return position.offsets().firstKey();
    }

    /**
     * Checks that {@code delivered} are exactly {@code expected}: in the same order on a single-log
     * backend, in the same order per sharding key on a partitioned one.
     */
    private void assertDeliveredInOrder(List<Message<Event>> delivered, List<Event> expected) {
        List<Event> payloads = delivered.stream().map(Message::payload).toList();
        if (!has(Capability.PARTITIONED)) {
            assertThat(payloads).containsExactlyElementsOf(expected);
            return;
        }
        assertThat(payloads).containsExactlyInAnyOrderElementsOf(expected);
        Map<String, List<Event>> expectedByKey = expected.stream()
                .collect(Collectors.groupingBy(Event::key, LinkedHashMap::new, Collectors.toList()));
        Map<String, List<Event>> deliveredByKey = payloads.stream()
                .collect(Collectors.groupingBy(Event::key, LinkedHashMap::new, Collectors.toList()));
        expectedByKey.forEach((key, events) ->
                assertThat(deliveredByKey.get(key)).as("messages of sharding key %s", key).containsExactlyElementsOf(events));
    }

    /** Checks that each sharding key's messages arrived with strictly increasing positions in one partition. */
    private static void assertPositionsIncreasePerKey(List<Message<Event>> delivered) {
        Map<String, Position> last = new HashMap<>();
        for (Message<Event> message : delivered) {
            Position previous = last.put(message.shardingKey(), message.position());
            if (previous != null) {
                assertThat(partitionOf(message.position())).as("partition of key %s", message.shardingKey())
                        .isEqualTo(partitionOf(previous));
                assertThat(message.position().compareInPartition(previous))
                        .as("position %s of a later message of key %s, after %s", message.position(), message.shardingKey(), previous)
                        .isPositive();
            }
        }
    }

    /**
     * Calls {@code close()} on another thread and returns once that call is under way: its thread
     * waits, for the running handler to return. A handler that calls this and then returns is
     * the last one the consumer runs.
     */
    private Future<?> beginClose(Consumer<?> consumer) throws Exception {
        CompletableFuture<Thread> closer = new CompletableFuture<>();
        Future<?> closing = threads(1).submit(() -> {
            closer.complete(Thread.currentThread());
            consumer.close();
        });
        Thread closingThread = closer.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        eventually().until(() -> closing.isDone() || closingThread.getState() == Thread.State.WAITING
                || closingThread.getState() == Thread.State.TIMED_WAITING);
        return closing;
    }

    private static ConsumerFailure onlyFailure(List<ConsumerFailure> failures, Outcome outcome) {
        assertThat(failures).as("failures reported").extracting(ConsumerFailure::outcome).containsOnly(outcome);
        assertThat(failures).hasSize(1);
        return failures.get(0);
    }

    private static Optional<Position> savedPosition(Streamable streamable, Topic<?> topic, String consumerName) {
        return streamable.backend().topic(topic.name()).savedPosition(consumerName);
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Round trip")
    class RoundTrip {

        @ContractTest
        @DisplayName("a message arrives with every field intact: topic, position, createdAt, key, compaction id, headers, payload")
        void everyFieldSurvives() {
            Streamable streamable = connect();
            Topic<Rich> topic = Topic.of(topicName("round-trip"), Rich.class);
            OutgoingMessage<Rich> sent = OutgoingMessage.of("customer:42/ü", Rich.sample())
                    .withLogCompactId("order-7")
                    .withHeader("source", "checkout")
                    .withHeader("trace.id", "Ünïcødé ✓ \"quoted\"")
                    .withHeader("empty", "");

            Instant before = Instant.now();
            Position position = streamable.producer(topic).appendAndWait(sent);
            Instant after = Instant.now();
            Recorder<Rich> recorder = new Recorder<>();
            consumer(streamable, topic, recorder).start();
            recorder.awaitDrained(1, TIMEOUT);

            assertThat(recorder.handled()).hasSize(1);
            Message<Rich> received = recorder.handled().get(0);
            assertThat(received.topic()).isEqualTo(topic.name());
            assertThat(received.position()).isEqualTo(position);
            assertThat(received.createdAt()).isBetween(before.minus(CLOCK_SLACK), after.plus(CLOCK_SLACK));
            assertThat(received.shardingKey()).isEqualTo("customer:42/ü");
            assertThat(received.logCompactId()).contains("order-7");
            assertThat(userHeaders(received)).isEqualTo(sent.headers());
            assertThat(received.payload()).isEqualTo(Rich.sample());
        }

        @ContractTest
        @DisplayName("a message without compaction id or headers arrives without them")
        void bareMessage() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("bare");
            streamable.producer(topic).appendAndWait("k", Event.of("k", 1));

            Message<Event> received = readAll(streamable, topic).get(0);

            assertThat(received.logCompactId()).isEmpty();
            assertThat(userHeaders(received)).isEmpty();
            assertThat(received.payload()).isEqualTo(Event.of("k", 1));
        }

        @ContractTest
        @DisplayName("a batch is stored in order and each message arrives with the position its append returned")
        void batchPositions() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("batch");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 50);

            List<Message<Event>> received = readAll(streamable, topic);

            assertThat(seqs(received)).containsExactlyElementsOf(range(1, 50));
            assertThat(received).extracting(Message::position).containsExactlyElementsOf(positions);
            assertThat(new HashSet<>(positions)).hasSize(50);
        }

        @ContractTest
        @DisplayName("a generic payload type (a map of lists of records) survives the round trip")
        void genericPayload() {
            Streamable streamable = connect();
            Topic<Map<String, List<Event>>> topic = Topic.of(topicName("generic"), new PayloadType<>() { });
            Map<String, List<Event>> payload = Map.of("a", List.of(Event.of("a", 1), Event.of("a", 2)), "b", List.of());
            streamable.producer(topic).appendAndWait("k", payload);

            assertThat(readAll(streamable, topic)).extracting(Message::payload).containsExactly(payload);
        }
    }

    @Nested
    @DisplayName("Start positions")
    class StartPositions {

        @ContractTest
        @DisplayName("a consumer from the beginning receives every stored message, oldest first")
        void beginning() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("beginning");
            append(streamable.producer(topic), "k", 1, 20);
            Recorder<Event> recorder = new Recorder<>();

            Consumer<Event> consumer = consumer(streamable, topic, recorder).startFrom(StartFrom.beginning()).start();
            recorder.awaitDrained(20, TIMEOUT);

            assertThat(seqs(recorder.handled())).containsExactlyElementsOf(range(1, 20));
            assertThat(consumer.isRunning()).isTrue();
        }

        @ContractTest
        @DisplayName("a consumer from latest receives only messages appended after it started")
        void latest() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("latest");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> old = append(producer, "k", 1, 3);
            Recorder<Event> recorder = new Recorder<>();

            Consumer<Event> consumer = consumer(streamable, topic, recorder).startFrom(StartFrom.latest()).start();
            assertThat(consumer.position()).as("a consumer from latest starts at the head")
                    .hasValueSatisfying(head -> assertThat(head.covers(old.get(2))).isTrue());
            append(producer, "k", 4, 2);
            recorder.awaitDrained(2, TIMEOUT);

            // one sharding key, so any old message would have arrived before the new ones
            assertThat(seqs(recorder.handled())).containsExactly(4, 5);
        }

        @ContractTest
        @DisplayName("a consumer after a position receives only the messages after it")
        void afterPosition() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("after");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 5);
            Recorder<Event> recorder = new Recorder<>();

            consumer(streamable, topic, recorder).startFrom(StartFrom.after(positions.get(1))).start();
            recorder.awaitDrained(3, TIMEOUT);

            assertThat(seqs(recorder.handled())).containsExactly(3, 4, 5);
        }

        @ContractTest
        @DisplayName("a named consumer without a saved position starts at its fallback: the beginning by default, or latest")
        void namedFallback() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("fallback");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 3);
            Recorder<Event> fromLatest = new Recorder<>();
            Recorder<Event> byDefault = new Recorder<>();

            consumer(streamable, topic, fromLatest).name("from-latest").startFrom(StartFrom.latest()).start();
            consumer(streamable, topic, byDefault).name("by-default").start();
            append(producer, "k", 4, 1);
            fromLatest.awaitDrained(1, TIMEOUT);
            byDefault.awaitDrained(4, TIMEOUT);

            assertThat(seqs(fromLatest.handled())).containsExactly(4);
            assertThat(seqs(byDefault.handled())).containsExactly(1, 2, 3, 4);
        }

        @ContractTest
        @DisplayName("after(p) with p beyond the newest message is clamped to the head (with a warning): messages appended afterwards are delivered")
        void afterBeyondEndIsClamped() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("after-beyond");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> old = append(producer, "k", 1, 3);
            Position newest = old.get(2);
            int partition = partitionOf(newest);
            Position beyond = Position.of(partition, newest.offset(partition).getAsLong() + 1_000);
            Recorder<Event> recorder = new Recorder<>();

            Consumer<Event> consumer = consumer(streamable, topic, recorder).startFrom(StartFrom.after(beyond)).start();
            recorder.awaitDrained(0, TIMEOUT);
            assertThat(consumer.position()).as("the start is clamped to the newest stored message")
                    .hasValueSatisfying(start -> {
                        assertThat(start.covers(newest)).isTrue();
                        assertThat(start.covers(Position.of(partition, newest.offset(partition).getAsLong() + 1))).isFalse();
                    });
            append(producer, "k", 4, 2);
            recorder.awaitDrained(2, TIMEOUT);

            // one sharding key: the old messages would have come first, the new ones are not skipped
            assertThat(seqs(recorder.handled())).containsExactly(4, 5);
        }
    }

    @Nested
    @DisplayName("Named consumers and bookkeeping")
    class Bookkeeping {

        @ContractTest
        @DisplayName("a named consumer resumes right after its saved position and ignores its fallback")
        void resumesAfterSavedPosition() {
            Streamable first = connect();
            Topic<Event> topic = eventTopic("resume");
            Producer<Event> producer = first.producer(topic);
            List<Position> positions = append(producer, "k", 1, 5);
            Recorder<Event> before = new Recorder<>();
            Consumer<Event> consumer = consumer(first, topic, before).name("resumer").start();
            before.awaitDrained(5, TIMEOUT);
            consumer.close();
            append(producer, "k", 6, 3);

            Streamable second = connect();
            assertThat(savedPosition(second, topic, "resumer")).as("saved position seen from another connection")
                    .hasValueSatisfying(saved -> {
                        assertThat(saved.covers(positions.get(4))).isTrue();
                        assertThat(saved).isEqualTo(consumer.position().orElseThrow());
                    });
            Recorder<Event> after = new Recorder<>();
            consumer(second, topic, after).name("resumer").startFrom(StartFrom.beginning()).start();
            after.awaitDrained(3, TIMEOUT);

            assertThat(seqs(after.handled())).containsExactly(6, 7, 8);
        }

        @ContractTest
        @DisplayName("closing mid-stream and resuming on a new connection loses nothing and re-delivers nothing acknowledged")
        void noLossNoRedelivery() throws Exception {
            int total = 600;
            Streamable first = connect();
            Topic<Event> topic = eventTopic("no-loss");
            Producer<Event> producer = first.producer(topic);
            Future<?> appending = threads(1).submit(() -> {
                for (int seq = 1; seq <= total; seq += 10) {
                    append(producer, "k", seq, 10);
                }
            });
            CompletableFuture<Consumer<Event>> self = new CompletableFuture<>();
            List<Future<?>> closing = new CopyOnWriteArrayList<>();
            Recorder<Event> before = new Recorder<>(message -> {
                if (message.payload().seq() == 100) {
                    closing.add(beginClose(self.join()));
                }
            });
            self.complete(consumer(first, topic, before).name("worker").start());
            assertThat(self.join().stopped()).succeedsWithin(TIMEOUT);
            join(appending);
            join(closing.get(0));
            int handledBefore = before.count();
            assertThat(seqs(before.handled())).as("nothing is handled once close() has begun")
                    .containsExactlyElementsOf(range(1, 100));

            Recorder<Event> after = new Recorder<>();
            consumer(connect(), topic, after).name("worker").start();
            after.awaitDrained(total - handledBefore, TIMEOUT);

            List<Integer> all = new ArrayList<>(seqs(before.handled()));
            all.addAll(seqs(after.handled()));
            assertThat(all).containsExactlyElementsOf(range(1, total));
        }

        @ContractTest
        @DisplayName("with commitEvery(1, 0) the saved position follows each handled message while the consumer runs")
        void savesWhileRunning() throws Exception {
            Streamable streamable = connect();
            Streamable observer = connect();
            Topic<Event> topic = eventTopic("commit-each");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 5);
            CountDownLatch release = gate();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 4) {
                    release.await();
                }
            });

            consumer(streamable, topic, recorder).name("eager").commitEvery(1, Duration.ZERO).start();

            eventually().untilAsserted(() -> assertThat(savedPosition(observer, topic, "eager"))
                    .hasValueSatisfying(saved -> assertThat(saved.covers(positions.get(2))).isTrue()));
            assertThat(savedPosition(observer, topic, "eager")).as("nothing past the message being handled is saved")
                    .hasValueSatisfying(saved -> assertThat(saved.covers(positions.get(3))).isFalse());
            release.countDown();
            eventually().untilAsserted(() -> assertThat(savedPosition(observer, topic, "eager"))
                    .hasValueSatisfying(saved -> assertThat(saved.covers(positions.get(4))).isTrue()));
        }

        @ContractTest
        @DisplayName("a second live consumer with the same name shares the work (a consumer group), or, on a backend without groups, is refused, on the same and on another connection")
        void secondLiveConsumerSharesOrIsRefused() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("lease");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 3);
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> live = consumer(streamable, topic, recorder).name("only-one").start();
            recorder.awaitDrained(3, TIMEOUT);

            if (!has(Capability.CONSUMER_GROUPS)) {
                Recorder<Event> intruder = new Recorder<>();
                assertThatThrownBy(() -> consumer(streamable, topic, intruder).name("only-one").start())
                        .isInstanceOf(ConsumerNameInUseException.class)
                        .hasMessageContaining("only-one").hasMessageContaining(topic.name());
                assertThatThrownBy(() -> consumer(connect(), topic, intruder).name("only-one").start())
                        .as("the name is taken for every connection to the backend")
                        .isInstanceOf(ConsumerNameInUseException.class);

                append(producer, "k", 4, 2);
                recorder.awaitDrained(5, TIMEOUT);
                assertThat(seqs(recorder.handled())).as("the first consumer carries on undisturbed").containsExactly(1, 2, 3, 4, 5);
                assertThat(live.isRunning()).isTrue();
                assertThat(intruder.attempts()).isEmpty();
                return;
            }
            Recorder<Event> second = new Recorder<>();
            Recorder<Event> third = new Recorder<>();
            List<Consumer<Event>> members = List.of(live,
                    consumer(streamable, topic, second).name("only-one").start(),
                    consumer(connect(), topic, third).name("only-one").start());
            eventually().untilAsserted(() -> {
                List<Set<Integer>> shares = members.stream()
                        .map(member -> member.assignment().orElseThrow().slots()).toList();
                int slotCount = live.assignment().orElseThrow().slotCount();
                assertThat(shares).as("every member has a share").allSatisfy(share -> assertThat(share).isNotEmpty());
                assertThat(shares.stream().mapToInt(Set::size).sum()).as("the shares are disjoint and cover every slot")
                        .isEqualTo(slotCount);
                assertThat(shares.stream().flatMap(Set::stream).collect(Collectors.toSet())).hasSize(slotCount);
            });
            for (int key = 0; key < 30; key++) {
                append(producer, "key-" + key, 10, 2);
            }
            List<Recorder<Event>> recorders = List.of(recorder, second, third);
            eventually().untilAsserted(() -> assertThat(recorders.stream().mapToInt(Recorder::count).sum())
                    .as("messages handled by the group").isGreaterThanOrEqualTo(3 + 60));
            Map<String, Set<Integer>> handlersByKey = new HashMap<>();
            for (int i = 0; i < recorders.size(); i++) {
                for (Message<Event> message : recorders.get(i).handled()) {
                    handlersByKey.computeIfAbsent(message.shardingKey(), k -> new HashSet<>()).add(i);
                }
            }
            assertThat(handlersByKey).as("every key delivered").hasSize(31);
            assertThat(handlersByKey.values()).as("each key handled by one member of the group")
                    .allSatisfy(handlers -> assertThat(handlers).hasSize(1));
            assertThat(recorders.stream().mapToInt(Recorder::count).sum()).as("nothing delivered twice").isEqualTo(63);
            assertThat(members).allSatisfy(member -> assertThat(member.isRunning()).isTrue());
        }

        @ContractTest
        @DisplayName("after a named consumer closes, its name can be used again and resumes where it stopped")
        void nameReusableAfterClose() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("lease-again");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 3);
            Recorder<Event> first = new Recorder<>();
            Consumer<Event> consumer = consumer(streamable, topic, first).name("again").start();
            first.awaitDrained(3, TIMEOUT);
            consumer.close();
            append(producer, "k", 4, 2);

            Recorder<Event> onSameConnection = new Recorder<>();
            Consumer<Event> second = consumer(streamable, topic, onSameConnection).name("again").start();
            onSameConnection.awaitDrained(2, TIMEOUT);
            second.close();
            append(producer, "k", 6, 1);
            Recorder<Event> onOtherConnection = new Recorder<>();
            consumer(connect(), topic, onOtherConnection).name("again").start();
            onOtherConnection.awaitDrained(1, TIMEOUT);

            assertThat(seqs(onSameConnection.handled())).containsExactly(4, 5);
            assertThat(seqs(onOtherConnection.handled())).containsExactly(6);
        }

        @ContractTest
        @DisplayName("a named consumer started at latest on an empty topic and closed before its first periodic save resumes where it was on restart")
        void latestOnEmptyTopicResumes() {
            Topic<Event> topic = eventTopic("latest-empty");
            Recorder<Event> first = new Recorder<>();
            Consumer<Event> consumer = consumer(connect(), topic, first).name("late").startFrom(StartFrom.latest())
                    .commitEvery(1_000_000, Duration.ofHours(1)).start();
            Producer<Event> producer = connect().producer(topic);
            append(producer, "k", 1, 3);
            first.awaitCount(3, TIMEOUT);
            consumer.close();
            append(producer, "k", 4, 3);

            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("late").startFrom(StartFrom.latest()).start();
            resumed.awaitDrained(3, TIMEOUT);

            assertThat(seqs(first.handled())).containsExactly(1, 2, 3);
            assertThat(seqs(resumed.handled())).as("nothing appended while it was closed is skipped").containsExactly(4, 5, 6);
        }

        @ContractTest
        @DisplayName("a named consumer started at latest on an empty topic that saved nothing (its handler never returned) resumes at its first start on restart")
        void latestOnEmptyTopicSticksWithoutCommit() throws Exception {
            Topic<Event> topic = eventTopic("latest-empty-kill");
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch never = gate();
            Recorder<Event> first = new Recorder<>(message -> {
                blocked.countDown();
                never.await();
            });
            Streamable streamable = connect();
            Consumer<Event> consumer = consumer(streamable, topic, first).name("late").startFrom(StartFrom.latest())
                    .closeTimeout(Duration.ofMillis(100)).start();
            append(connect().producer(topic), "k", 1, 3);
            awaitLatch(blocked, TIMEOUT, "handler received the first message");
            consumer.close();
            assertThat(first.handled()).as("the handler never returned").isEmpty();

            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("late").startFrom(StartFrom.latest()).start();
            resumed.awaitDrained(3, TIMEOUT);

            assertThat(seqs(resumed.handled())).as("the start resolved at the first start was saved, so nothing is skipped")
                    .containsExactly(1, 2, 3);
        }

        @ContractTest
        @DisplayName("the backend lists the names of consumers that saved a position on a topic")
        void consumerNames() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("names");
            append(streamable.producer(topic), "k", 1, 2);
            for (String name : List.of("alpha", "beta")) {
                Recorder<Event> recorder = new Recorder<>();
                Consumer<Event> consumer = consumer(streamable, topic, recorder).name(name).start();
                recorder.awaitDrained(2, TIMEOUT);
                consumer.close();
            }

            assertThat(connect().backend().topic(topic.name()).consumerNames()).containsExactlyInAnyOrder("alpha", "beta");
        }
    }

    @Nested
    @DisplayName("Failure policies")
    class FailurePolicies {

        @ContractTest
        @DisplayName("a message whose handler failed is delivered again (at-least-once)")
        void failedMessageComesAgain() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("again");
            append(streamable.producer(topic), "k", 1, 5);
            Set<Integer> failedOnce = Collections.synchronizedSet(new HashSet<>());
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 3 && failedOnce.add(3)) {
                    throw new IllegalStateException("first attempt at seq 3 fails");
                }
            });

            consumer(streamable, topic, recorder)
                    .failurePolicy(FailurePolicy.retry(3).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF)).start();
            recorder.awaitDrained(5, TIMEOUT);

            assertThat(seqs(recorder.attempts())).containsExactly(1, 2, 3, 3, 4, 5);
            assertThat(seqs(recorder.handled())).containsExactly(1, 2, 3, 4, 5);
        }

        @ContractTest
        @DisplayName("retry then STOP: the consumer stops exceptionally and its position stays before the failed message")
        void retryThenStop() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("stop");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 5);
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 3) {
                    throw new IllegalStateException("seq 3 always fails");
                }
            });

            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("stopper").onFailure(failures::add)
                    .failurePolicy(FailurePolicy.retry(3).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF).thenStop()).start();

            assertThat(consumer.stopped()).failsWithin(TIMEOUT)
                    .withThrowableThat().withMessageContaining("seq 3 always fails");
            assertThat(consumer.isRunning()).isFalse();
            assertThat(seqs(recorder.attempts())).containsExactly(1, 2, 3, 3, 3);
            ConsumerFailure failure = onlyFailure(failures, Outcome.STOPPED);
            assertThat(failure.position()).contains(positions.get(2));
            assertThat(failure.attempts()).isEqualTo(3);
            assertThat(failure.consumerName()).contains("stopper");
            assertThat(failure.cause()).hasMessage("seq 3 always fails");
            assertThat(consumer.position()).hasValueSatisfying(position -> {
                assertThat(position.covers(positions.get(1))).isTrue();
                assertThat(position.covers(positions.get(2))).isFalse();
            });
            assertThat(savedPosition(connect(), topic, "stopper")).hasValueSatisfying(saved -> {
                assertThat(saved.covers(positions.get(1))).isTrue();
                assertThat(saved.covers(positions.get(2))).isFalse();
            });
        }

        @ContractTest
        @DisplayName("with concurrency(4), a STOP never moves the position past the failed message, though other keys went on")
        void stopWithConcurrency() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("stop-lanes");
            List<OutgoingMessage<Event>> batch = new ArrayList<>();
            for (int seq = 1; seq <= 40; seq++) {
                batch.add(OutgoingMessage.of("key-" + seq % 4, new Event("key-" + seq % 4, 0, seq)));
            }
            List<Position> positions = streamable.producer(topic).appendAllAndWait(batch);
            Position failed = positions.get(9);
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 10) {
                    throw new IllegalStateException("seq 10 stops the consumer");
                }
            });

            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("lanes").concurrency(4)
                    .onFailure(failure -> { }).failurePolicy(FailurePolicy.stopOnFirstFailure()).start();

            assertThat(consumer.stopped()).failsWithin(TIMEOUT);
            assertThat(seqs(recorder.handled())).doesNotContain(10);
            consumer.position().ifPresent(position -> assertThat(position.covers(failed)).isFalse());
            savedPosition(connect(), topic, "lanes").ifPresent(saved -> assertThat(saved.covers(failed)).isFalse());
            Recorder<Event> restarted = new Recorder<>();
            consumer(connect(), topic, restarted).name("lanes").start();
            restarted.awaitCount(1, TIMEOUT);
            restarted.awaitDrained(1, TIMEOUT);
            assertThat(seqs(restarted.handled())).as("the failed message comes again").contains(10);
            Set<Integer> seen = new HashSet<>(seqs(recorder.handled()));
            seen.addAll(seqs(restarted.handled()));
            assertThat(seen).as("nothing lost").containsExactlyInAnyOrderElementsOf(range(1, 40));
        }

        @ContractTest
        @DisplayName("after a STOP, a restarted consumer with the same name receives the failed message first")
        void restartAfterStop() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("restart");
            append(streamable.producer(topic), "k", 1, 5);
            Recorder<Event> failing = new Recorder<>(message -> {
                if (message.payload().seq() == 3) {
                    throw new IllegalStateException("not yet");
                }
            });
            Consumer<Event> stopped = consumer(streamable, topic, failing).name("restarted").onFailure(failure -> { })
                    .failurePolicy(FailurePolicy.stopOnFirstFailure()).start();
            assertThat(stopped.stopped()).failsWithin(TIMEOUT);

            Recorder<Event> restarted = new Recorder<>();
            consumer(connect(), topic, restarted).name("restarted").start();
            restarted.awaitDrained(3, TIMEOUT);

            assertThat(seqs(failing.handled())).containsExactly(1, 2);
            assertThat(seqs(restarted.handled())).containsExactly(3, 4, 5);
        }

        @ContractTest
        @DisplayName("retry then SKIP: the failure is reported and the consumer continues after the message")
        void retryThenSkip() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("skip");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 5);
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 3) {
                    throw new IllegalStateException("seq 3 is skipped");
                }
            });

            Consumer<Event> consumer = consumer(streamable, topic, recorder).onFailure(failures::add)
                    .failurePolicy(FailurePolicy.retry(2).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF).thenSkip()).start();
            recorder.awaitDrained(4, TIMEOUT);

            assertThat(seqs(recorder.handled())).containsExactly(1, 2, 4, 5);
            assertThat(seqs(recorder.attempts())).containsExactly(1, 2, 3, 3, 4, 5);
            ConsumerFailure failure = onlyFailure(failures, Outcome.SKIPPED);
            assertThat(failure.position()).contains(positions.get(2));
            assertThat(failure.attempts()).isEqualTo(2);
            assertThat(failure.cause()).hasMessage("seq 3 is skipped");
            assertThat(consumer.isRunning()).isTrue();
            eventually().untilAsserted(() -> assertThat(consumer.position())
                    .hasValueSatisfying(position -> assertThat(position.covers(positions.get(4))).isTrue()));
        }

        @ContractTest
        @DisplayName("retry then DEAD_LETTER: the message lands in the dead-letter topic with the streamable.dlq.* headers")
        void retryThenDeadLetter() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("dlq-source");
            Topic<Event> deadLetters = Topic.of(topicName("dlq"), Event.class);
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 2);
            Position failed = producer.appendAndWait(OutgoingMessage.of("k", Event.of("k", 3)).withHeader("trace", "t-3"));
            List<Position> rest = append(producer, "k", 4, 2);
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 3) {
                    throw new IllegalStateException("seq 3 goes to the dead-letter topic");
                }
            });

            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("dlq-writer").onFailure(failures::add)
                    .failurePolicy(FailurePolicy.retry(2).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF)
                            .thenDeadLetter(deadLetters.name()))
                    .start();
            recorder.awaitDrained(4, TIMEOUT);

            assertThat(seqs(recorder.handled())).containsExactly(1, 2, 4, 5);
            ConsumerFailure failure = onlyFailure(failures, Outcome.DEAD_LETTERED);
            assertThat(failure.position()).contains(failed);
            assertThat(failure.attempts()).isEqualTo(2);
            List<Message<Event>> dead = readAll(connect(), deadLetters);
            assertThat(dead).hasSize(1);
            Message<Event> letter = dead.get(0);
            assertThat(letter.payload()).isEqualTo(Event.of("k", 3));
            assertThat(letter.shardingKey()).isEqualTo("k");
            assertThat(letter.header("trace")).contains("t-3");
            assertThat(letter.header(FailurePolicy.DLQ_SOURCE_TOPIC)).contains(topic.name());
            assertThat(letter.header(FailurePolicy.DLQ_SOURCE_POSITION)).map(Position::parse).contains(failed);
            assertThat(letter.header(FailurePolicy.DLQ_ERROR)).hasValueSatisfying(
                    error -> assertThat(error).contains("seq 3 goes to the dead-letter topic"));
            assertThat(letter.header(FailurePolicy.DLQ_CONSUMER)).contains("dlq-writer");
            assertThat(consumer.isRunning()).isTrue();
            eventually().untilAsserted(() -> assertThat(consumer.position())
                    .hasValueSatisfying(position -> assertThat(position.covers(rest.get(1))).isTrue()));
        }
    }

    @Nested
    @DisplayName("Caught up and live delivery")
    class CaughtUp {

        @ContractTest
        @DisplayName("the caught-up callback fires after the initial drain and again after the next burst")
        void afterDrainAndAfterBurst() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("caught-up");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 5);
            Recorder<Event> recorder = new Recorder<>();

            consumer(streamable, topic, recorder).start();
            recorder.awaitDrained(5, TIMEOUT);
            append(producer, "k", 6, 3);
            recorder.awaitDrained(8, TIMEOUT);

            List<Integer> counts = recorder.caughtUpCounts();
            assertThat(counts.get(0)).as("handled when first caught up").isEqualTo(5);
            assertThat(counts).as("handled at each caught-up callback: only after new messages").isSorted()
                    .doesNotHaveDuplicates().endsWith(8);
        }

        @ContractTest
        @DisplayName("the caught-up callback fires on an empty topic")
        void emptyTopic() throws InterruptedException {
            Streamable streamable = connect();
            CountDownLatch caughtUp = new CountDownLatch(1);

            streamable.consumer(eventTopic("empty")).handler(message -> { }).onCaughtUp(caughtUp::countDown).start();

            awaitLatch(caughtUp, TIMEOUT, "caught up on an empty topic");
        }

        @ContractTest
        @DisplayName("a consumer started before the producer receives a new message promptly, woken by the backend")
        void wokenPromptly() throws InterruptedException {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("wake");
            CountDownLatch waiting = new CountDownLatch(1);
            CountDownLatch received = new CountDownLatch(1);
            streamable.consumer(topic).handler(message -> received.countDown()).onCaughtUp(waiting::countDown).start();
            awaitLatch(waiting, TIMEOUT, "consumer waiting on the empty topic");

            streamable.producer(topic).appendAndWait("k", Event.of("k", 1));

            awaitLatch(received, PROMPTLY, "message delivered to the waiting consumer");
        }

        @ContractTest
        @DisplayName("a waiting consumer is woken by an append through another connection")
        void wokenAcrossConnections() throws InterruptedException {
            Topic<Event> topic = eventTopic("wake-remote");
            CountDownLatch waiting = new CountDownLatch(1);
            CountDownLatch received = new CountDownLatch(3);
            connect().consumer(topic).handler(message -> received.countDown()).onCaughtUp(waiting::countDown).start();
            awaitLatch(waiting, TIMEOUT, "consumer waiting on the empty topic");

            Producer<Event> producer = connect().producer(topic);
            for (int seq = 1; seq <= 3; seq++) {
                producer.appendAndWait("k", Event.of("k", seq));
            }

            awaitLatch(received, PROMPTLY, "messages from another connection delivered");
        }
    }

    @Nested
    @DisplayName("Ordering")
    class Ordering {
        private static final int PRODUCERS = 8;
        private static final int PER_PRODUCER = 2_000;
        private static final int KEYS = 50;

        @ContractTest
        @DisplayName("8 concurrent producers x 2,000 messages over 50 keys: each delivered exactly once, each key in order")
        void perKeyOrder() throws Exception {
            concurrentProducersKeepKeyOrder(1);
        }

        @ContractTest
        @DisplayName("the same with consumer concurrency(4): each key in order, never two handlers of one key at once")
        void perKeyOrderWithConcurrency() throws Exception {
            concurrentProducersKeepKeyOrder(4);
        }

        @ContractTest
        @DisplayName("messages of one producer arrive in the order it appended them, across keys on a single-log backend")
        void singleProducerOrder() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("one-producer");
            Producer<Event> producer = streamable.producer(topic);
            List<Event> sent = new ArrayList<>();
            for (int seq = 1; seq <= 200; seq++) {
                Event event = Event.of("key-" + seq % 7, seq);
                producer.appendAndWait(event.key(), event);
                sent.add(event);
            }

            assertDeliveredInOrder(readAll(streamable, topic), sent);
        }

        private void concurrentProducersKeepKeyOrder(int concurrency) throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("order-" + concurrency);
            Recorder<Event> recorder = new Recorder<>();
            consumer(streamable, topic, recorder).concurrency(concurrency).start();

            ExecutorService pool = threads(PRODUCERS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Map<Event, Position>>> producing = new ArrayList<>();
            for (int source = 0; source < PRODUCERS; source++) {
                int producerId = source;
                Producer<Event> producer = streamable.producer(topic);
                producing.add(pool.submit(() -> {
                    go.await();
                    Map<Event, CompletableFuture<Position>> pending = new LinkedHashMap<>();
                    for (int seq = 0; seq < PER_PRODUCER; seq++) {
                        String key = "key-" + (seq + producerId) % KEYS;
                        Event event = new Event(key, producerId, seq);
                        pending.put(event, producer.append(key, event));
                    }
                    Map<Event, Position> positions = new HashMap<>();
                    for (Map.Entry<Event, CompletableFuture<Position>> entry : pending.entrySet()) {
                        positions.put(entry.getKey(), entry.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                    }
                    return positions;
                }));
            }
            go.countDown();
            Map<Event, Position> appended = new HashMap<>();
            for (Future<Map<Event, Position>> future : producing) {
                appended.putAll(join(future));
            }
            int total = PRODUCERS * PER_PRODUCER;
            recorder.awaitDrained(total, BULK_TIMEOUT);

            List<Message<Event>> delivered = recorder.handled();
            assertThat(delivered).hasSize(total);
            assertThat(delivered.stream().map(Message::payload).collect(Collectors.toSet()))
                    .as("every message exactly once").isEqualTo(appended.keySet());
            for (Message<Event> message : delivered) {
                assertThat(message.position()).as("position of %s", message.payload()).isEqualTo(appended.get(message.payload()));
                assertThat(message.shardingKey()).isEqualTo(message.payload().key());
            }
            assertPositionsIncreasePerKey(delivered);
            Map<String, Map<Integer, Integer>> lastSeqByKeyAndSource = new HashMap<>();
            for (Message<Event> message : delivered) {
                Event event = message.payload();
                Integer previous = lastSeqByKeyAndSource.computeIfAbsent(event.key(), key -> new HashMap<>())
                        .put(event.source(), event.seq());
                if (previous != null) {
                    assertThat(event.seq()).as("producer %d's messages of key %s in append order", event.source(), event.key())
                            .isGreaterThan(previous);
                }
            }
            assertThat(recorder.overlappedWithinKey()).as("two handlers of one key ran at once").isFalse();
        }
    }

    @Nested
    @DisplayName("Fan-out and isolation")
    class Isolation {

        @ContractTest
        @DisplayName("many consumers on one topic, on several connections, each receive everything")
        void manyConsumersEachReceiveAll() {
            Topic<Event> topic = eventTopic("fan-out");
            Streamable producerSide = connect();
            Producer<Event> producer = producerSide.producer(topic);
            List<Event> sent = new ArrayList<>();
            List<OutgoingMessage<Event>> batch = new ArrayList<>();
            for (int seq = 1; seq <= 300; seq++) {
                Event event = Event.of("key-" + seq % 10, seq);
                sent.add(event);
                batch.add(OutgoingMessage.of(event.key(), event));
            }
            List<Recorder<Event>> recorders = new ArrayList<>();
            for (int connection = 0; connection < 3; connection++) {
                Streamable streamable = connect();
                for (int i = 0; i < 3; i++) {
                    Recorder<Event> recorder = new Recorder<>();
                    ConsumerBuilder<Event> builder = consumer(streamable, topic, recorder);
                    if (i == 0) {
                        builder.name("fan-" + connection);
                    }
                    builder.start();
                    recorders.add(recorder);
                }
                if (connection == 1) {
                    producer.appendAllAndWait(batch.subList(0, 150));
                }
            }
            producer.appendAllAndWait(batch.subList(150, 300));

            for (Recorder<Event> recorder : recorders) {
                recorder.awaitDrained(300, TIMEOUT);
                assertDeliveredInOrder(recorder.handled(), sent);
            }
        }

        @ContractTest
        @DisplayName("two topics do not leak into each other")
        void topicsIsolated() {
            Streamable streamable = connect();
            Topic<Event> left = eventTopic("left");
            Topic<Event> right = eventTopic("right");
            Recorder<Event> leftRecorder = new Recorder<>();
            Recorder<Event> rightRecorder = new Recorder<>();
            consumer(streamable, left, leftRecorder).start();
            consumer(streamable, right, rightRecorder).start();

            append(streamable.producer(left), "left", 1, 20);
            append(streamable.producer(right), "right", 1, 30);
            leftRecorder.awaitDrained(20, TIMEOUT);
            rightRecorder.awaitDrained(30, TIMEOUT);

            assertThat(leftRecorder.handled()).hasSize(20).allSatisfy(message -> {
                assertThat(message.topic()).isEqualTo(left.name());
                assertThat(message.payload().key()).isEqualTo("left");
            });
            assertThat(rightRecorder.handled()).hasSize(30).allSatisfy(message -> {
                assertThat(message.topic()).isEqualTo(right.name());
                assertThat(message.payload().key()).isEqualTo("right");
            });
            assertThat(readAll(connect(), left)).hasSize(20);
        }

        @ContractTest
        @DisplayName("one consumer name on two topics keeps two independent positions")
        void nameIsPerTopic() {
            Streamable streamable = connect();
            Topic<Event> left = eventTopic("name-left");
            Topic<Event> right = eventTopic("name-right");
            Producer<Event> leftProducer = streamable.producer(left);
            Producer<Event> rightProducer = streamable.producer(right);
            append(leftProducer, "k", 1, 3);
            append(rightProducer, "k", 1, 5);
            Recorder<Event> leftFirst = new Recorder<>();
            Recorder<Event> rightFirst = new Recorder<>();
            Consumer<Event> leftConsumer = consumer(streamable, left, leftFirst).name("shared").start();
            Consumer<Event> rightConsumer = consumer(streamable, right, rightFirst).name("shared").start();
            leftFirst.awaitDrained(3, TIMEOUT);
            rightFirst.awaitDrained(5, TIMEOUT);
            leftConsumer.close();
            rightConsumer.close();
            append(leftProducer, "k", 4, 1);
            append(rightProducer, "k", 6, 1);

            Streamable other = connect();
            Recorder<Event> leftAgain = new Recorder<>();
            Recorder<Event> rightAgain = new Recorder<>();
            consumer(other, left, leftAgain).name("shared").start();
            consumer(other, right, rightAgain).name("shared").start();
            leftAgain.awaitDrained(1, TIMEOUT);
            rightAgain.awaitDrained(1, TIMEOUT);

            assertThat(seqs(leftAgain.handled())).containsExactly(4);
            assertThat(seqs(rightAgain.handled())).containsExactly(6);
        }
    }

    @Nested
    @DisplayName("Log compaction")
    class Compaction {

        @ContractTest
        @DisplayName("a reader from the beginning sees only the newest message per logCompactId and every message without one")
        void newestPerIdAndAllWithoutId() throws Throwable {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("compaction");
            Producer<Event> producer = streamable.producer(topic);
            // seq: 1 x, 2 a, 3 b, 4 x, 5 a, 6 c, 7 a, 8 b, 9 x   (x has no compaction id)
            String[] ids = {"x", "a", "b", "x", "a", "c", "a", "b", "x"};
            for (int i = 0; i < ids.length; i++) {
                String id = ids[i];
                OutgoingMessage<Event> message = OutgoingMessage.of(id, Event.of(id, i + 1));
                producer.appendAndWait(id.equals("x") ? message : message.withLogCompactId(id));
            }
            List<Event> survivors = List.of(Event.of("x", 1), Event.of("x", 4), Event.of("c", 6), Event.of("a", 7),
                    Event.of("b", 8), Event.of("x", 9));

            awaitCompaction(() -> assertDeliveredInOrder(readAll(streamable, topic), survivors));

            Map<Integer, Optional<String>> idBySeq = readAll(connect(), topic).stream()
                    .collect(Collectors.toMap(message -> message.payload().seq(), Message::logCompactId));
            assertThat(idBySeq).containsEntry(7, Optional.of("a")).containsEntry(1, Optional.empty());
        }

        @ContractTest
        @DisplayName("a logCompactId compacts only within its own topic")
        void compactionPerTopic() throws Throwable {
            Streamable streamable = connect();
            Topic<Event> compacted = eventTopic("compacted");
            Topic<Event> untouched = eventTopic("untouched");
            streamable.producer(untouched).appendAndWait(OutgoingMessage.of("a", Event.of("a", 1)).withLogCompactId("a"));
            Producer<Event> producer = streamable.producer(compacted);
            producer.appendAndWait(OutgoingMessage.of("a", Event.of("a", 2)).withLogCompactId("a"));
            producer.appendAndWait(OutgoingMessage.of("a", Event.of("a", 3)).withLogCompactId("a"));

            awaitCompaction(() -> assertThat(seqs(readAll(streamable, compacted))).containsExactly(3));

            assertThat(seqs(readAll(streamable, untouched))).containsExactly(1);
        }

        @ContractTest
        @DisplayName("a message with a logCompactId makes earlier messages with the same sharding key and the same logCompactId redundant; messages with the same id under another sharding key are not affected")
        void compactionPerKeyAndId() throws Throwable {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("compaction-key-id");
            Producer<Event> producer = streamable.producer(topic);
            // seq: 1 a/x, 2 b/x, 3 a/x, 4 a/y, 5 b/(none), 6 c/x
            producer.appendAndWait(OutgoingMessage.of("a", Event.of("a", 1)).withLogCompactId("x"));
            producer.appendAndWait(OutgoingMessage.of("b", Event.of("b", 2)).withLogCompactId("x"));
            producer.appendAndWait(OutgoingMessage.of("a", Event.of("a", 3)).withLogCompactId("x"));
            producer.appendAndWait(OutgoingMessage.of("a", Event.of("a", 4)).withLogCompactId("y"));
            producer.appendAndWait(OutgoingMessage.of("b", Event.of("b", 5)));
            producer.appendAndWait(OutgoingMessage.of("c", Event.of("c", 6)).withLogCompactId("x"));
            List<Event> survivors = List.of(Event.of("b", 2), Event.of("a", 3), Event.of("a", 4), Event.of("b", 5),
                    Event.of("c", 6));

            awaitCompaction(() -> assertDeliveredInOrder(readAll(streamable, topic), survivors));
        }

        /** Runs the check once, or, where compaction is lazy, until it passes or the compaction timeout ends. */
        private void awaitCompaction(ThrowingRunnable check) throws Throwable {
            if (!has(Capability.LAZY_COMPACTION)) {
                check.run();
                return;
            }
            Awaitility.await("compaction").atMost(backend().compactionTimeout().plus(TIMEOUT))
                    .pollInterval(Duration.ofMillis(200)).untilAsserted(check);
        }
    }

    @Nested
    @DisplayName("Positions")
    class Positions {

        @ContractTest
        @DisplayName("appended, delivered and consumer positions survive encode and parse unchanged")
        void encodeParse() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("encode");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 10);
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> consumer = consumer(streamable, topic, recorder).start();
            recorder.awaitDrained(10, TIMEOUT);

            List<Position> all = new ArrayList<>(positions);
            recorder.handled().forEach(message -> all.add(message.position()));
            all.add(consumer.position().orElseThrow());
            for (Position position : all) {
                Position parsed = Position.parse(position.encode());
                assertThat(parsed).isEqualTo(position).hasSameHashCodeAs(position);
                assertThat(parsed.encode()).isEqualTo(position.encode());
            }
        }

        @ContractTest
        @DisplayName("a later message of the same key has a greater position in its partition")
        void laterIsGreaterPerKey() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("greater");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> positions = new ArrayList<>();
            for (int seq = 1; seq <= 20; seq++) {
                positions.add(producer.appendAndWait("k", Event.of("k", seq)));
            }
            positions.addAll(append(producer, "k", 21, 20));

            for (int i = 1; i < positions.size(); i++) {
                assertThat(partitionOf(positions.get(i))).isEqualTo(partitionOf(positions.get(0)));
                assertThat(positions.get(i).compareInPartition(positions.get(i - 1))).isPositive();
                assertThat(positions.get(i - 1).compareInPartition(positions.get(i))).isNegative();
                assertThat(positions.get(i).covers(positions.get(i - 1))).isTrue();
                assertThat(positions.get(i - 1).covers(positions.get(i))).isFalse();
            }
        }

        @ContractTest
        @DisplayName("positions of sequential appends increase: across the whole topic on a single log, per partition otherwise")
        void sequentialAppendsIncrease() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("increase");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> positions = new ArrayList<>();
            for (int seq = 1; seq <= 60; seq++) {
                positions.add(producer.appendAndWait("key-" + seq % 13, Event.of("key-" + seq % 13, seq)));
            }

            Map<Integer, Position> lastPerPartition = new HashMap<>();
            for (Position position : positions) {
                if (!has(Capability.PARTITIONED)) {
                    assertThat(position.isSingleLog()).as("single-log position %s", position).isTrue();
                }
                Position previous = lastPerPartition.put(partitionOf(position), position);
                if (previous != null) {
                    assertThat(position.compareInPartition(previous)).as("%s after %s", position, previous).isPositive();
                }
            }
        }

        @ContractTest
        @DisplayName("a position stored as a string restarts a consumer right after it")
        void restartFromStoredString() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("stored");
            append(streamable.producer(topic), "k", 1, 6);
            Recorder<Event> first = new Recorder<>();
            streamable.consumer(topic).handler(first).onCaughtUp(first::caughtUp).start();
            first.awaitDrained(6, TIMEOUT);
            String stored = first.handled().get(3).position().encode();

            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).startFrom(StartFrom.after(Position.parse(stored))).start();
            resumed.awaitDrained(2, TIMEOUT);

            assertThat(seqs(resumed.handled())).containsExactly(5, 6);
        }
    }

    @Nested
    @DisplayName("Invalid input")
    class InvalidInput {

        @ContractTest
        @DisplayName("an invalid topic name is rejected with a message naming the name and the rule")
        void invalidTopicNames() {
            List<String> invalid = List.of("", "has space", "-leading-dash", ".leading-dot", "slash/inside", "ümlaut",
                    "star*", "x".repeat(TopicName.MAX_LENGTH + 1), "system.users", "__internal");
            for (String name : invalid) {
                assertThatThrownBy(() -> Topic.of(name, Event.class)).as("topic name \"%s\"", name)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(name.length() > 30 ? "characters long" : '"' + name + '"')
                        .hasMessageContaining("A-Z a-z 0-9");
            }
            assertThatThrownBy(() -> Topic.of(null, Event.class)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("null");
            assertThatThrownBy(() -> FailurePolicy.retry(1).thenDeadLetter("bad name"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad name");
        }

        @ContractTest
        @DisplayName("the longest legal topic name, with every legal kind of character, works end to end")
        void longestLegalName() {
            String prefix = "Tck_Legal.Name-" + UUID.randomUUID() + "-";
            Topic<Event> topic = Topic.of(prefix + "9".repeat(TopicName.MAX_LENGTH - prefix.length()), Event.class);
            Streamable streamable = connect();
            append(streamable.producer(topic), "k", 1, 2);
            Recorder<Event> recorder = new Recorder<>();
            consumer(streamable, topic, recorder).name("Legal_consumer.name-1").start();
            recorder.awaitDrained(2, TIMEOUT);

            assertThat(topic.name()).hasSize(TopicName.MAX_LENGTH);
            assertThat(seqs(recorder.handled())).containsExactly(1, 2);
            assertThat(streamable.topics()).contains(topic.name());
        }

        @ContractTest
        @DisplayName("an invalid consumer name is rejected before the consumer starts")
        void invalidConsumerName() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("consumer-name");
            for (String name : Arrays.asList(null, "", "has space", "-dash")) {
                assertThatThrownBy(() -> streamable.consumer(topic).name(name)).as("consumer name %s", name)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("consumer name");
            }
        }

        @ContractTest
        @DisplayName("a null, empty or whitespace-only sharding key, a reserved header or a null payload is rejected"
                + " and nothing is stored")
        void invalidMessages() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("bad-key");
            Producer<Event> producer = streamable.producer(topic);
            Event event = Event.of("k", 1);

            assertThatThrownBy(() -> producer.append(null, event)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("shardingKey is required");
            assertThatThrownBy(() -> producer.append("", event)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("shardingKey must not be empty");
            assertThatThrownBy(() -> producer.appendAndWait(OutgoingMessage.of(null, event)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shardingKey");
            assertThatThrownBy(() -> producer.appendAll(List.of(OutgoingMessage.of("k", event), OutgoingMessage.of("", event))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shardingKey");
            assertThatThrownBy(() -> producer.append("k", null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("payload must not be null");
            assertThatThrownBy(() -> producer.append(" \t", event)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("whitespace");
            // the likely path: republishing a consumed message with all its headers, the framework's included
            assertThatThrownBy(() -> producer.append(new OutgoingMessage<>("k", Optional.empty(),
                    Map.of("streamable.schema.version", "1", "trace", "t"), event)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved prefix")
                    .hasMessageContaining("userHeaders()");
            producer.appendAndWait("k", Event.of("k", 2));

            assertThat(readAll(streamable, topic)).extracting(Message::payload).containsExactly(Event.of("k", 2));
            assertThat(streamable.backend().topic(topic.name()).lag(Optional.empty())).isEqualTo(1);
        }

        @ContractTest
        @DisplayName("an undecodable payload stops the consumer without retries, reporting a PayloadCodecException with topic and position, and loses nothing")
        void undecodableStops() {
            Streamable streamable = connect();
            Topic<Event> written = eventTopic("undecodable");
            Topic<NumberKey> misread = Topic.of(written.name(), NumberKey.class);
            Position position = streamable.producer(written).appendAndWait("k", new Event("not-a-number", 0, 1));
            List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
            Recorder<NumberKey> recorder = new Recorder<>();

            Consumer<NumberKey> consumer = consumer(streamable, misread, recorder).name("misreader").onFailure(failures::add)
                    .failurePolicy(FailurePolicy.retry(3).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF)).start();

            assertThat(consumer.stopped()).failsWithin(TIMEOUT);
            assertThat(recorder.attempts()).as("the handler never sees an undecodable message").isEmpty();
            ConsumerFailure failure = onlyFailure(failures, Outcome.STOPPED);
            assertThat(failure.attempts()).as("decoding again cannot succeed, so no retries").isEqualTo(1);
            assertThat(failure.position()).contains(position);
            assertThat(failure.cause()).isInstanceOf(PayloadCodecException.class)
                    .hasMessageContaining(written.name())
                    .hasMessageContaining("position " + position.encode())
                    .hasMessageContaining(NumberKey.class.getName());
            assertThat(readAll(connect(), written)).extracting(Message::payload)
                    .as("the message is still there for a reader of the right type")
                    .containsExactly(new Event("not-a-number", 0, 1));
        }

        @ContractTest
        @DisplayName("an undecodable payload is skipped under SKIP and dead-lettered byte for byte under DEAD_LETTER")
        void undecodableSkippedOrDeadLettered() {
            Streamable streamable = connect();
            Topic<NumberKey> topic = Topic.of(topicName("poison"), NumberKey.class);
            Producer<NumberKey> producer = streamable.producer(topic);
            producer.appendAndWait("k", new NumberKey(1));
            // written straight to the backend, past the schema registry (which refuses it from any producer):
            // no version header on a versioned topic
            byte[] event = "{\"key\":\"poison\",\"source\":0,\"seq\":2}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Position poison = streamable.backend().topic(topic.name())
                    .append(List.of(new AppendRecord("k", Optional.empty(), Map.of(), event)))
                    .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join().get(0);
            producer.appendAndWait("k", new NumberKey(3));
            Topic<Event> deadLetters = Topic.of(topicName("poison-dlq"), Event.class);
            List<ConsumerFailure> skipped = new CopyOnWriteArrayList<>();
            List<ConsumerFailure> deadLettered = new CopyOnWriteArrayList<>();
            Recorder<NumberKey> skipping = new Recorder<>();
            Recorder<NumberKey> deadLettering = new Recorder<>();

            consumer(streamable, topic, skipping).onFailure(skipped::add)
                    .failurePolicy(FailurePolicy.retry(3).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF).thenSkip()).start();
            consumer(streamable, topic, deadLettering).onFailure(deadLettered::add)
                    .failurePolicy(FailurePolicy.retry(3).withBackoff(SHORT_BACKOFF, SHORT_BACKOFF)
                            .thenDeadLetter(deadLetters.name()))
                    .start();
            skipping.awaitDrained(2, TIMEOUT);
            deadLettering.awaitDrained(2, TIMEOUT);

            assertThat(skipping.payloads()).containsExactly(new NumberKey(1), new NumberKey(3));
            assertThat(deadLettering.payloads()).containsExactly(new NumberKey(1), new NumberKey(3));
            ConsumerFailure skip = onlyFailure(skipped, Outcome.SKIPPED);
            assertThat(skip.attempts()).isEqualTo(1);
            assertThat(skip.position()).contains(poison);
            assertThat(skip.cause()).isInstanceOf(PayloadCodecException.class)
                    .hasMessageContaining("has no " + io.streamable.schema.SchemaRegistry.VERSION_HEADER + " header")
                    .hasMessageContaining("position " + poison.encode()).hasMessageContaining(topic.name());
            ConsumerFailure dead = onlyFailure(deadLettered, Outcome.DEAD_LETTERED);
            assertThat(dead.position()).contains(poison);
            // still unversioned, so a typed reader of the dead letters would refuse it too: read it as any JSON
            List<Message<Object>> letters = readAll(streamable, Topic.of(deadLetters.name(), Object.class));
            assertThat(letters).extracting(Message::payload)
                    .containsExactly(Map.of("key", "poison", "source", 0, "seq", 2));
            assertThat(letters.get(0).header(FailurePolicy.DLQ_SOURCE_POSITION)).map(Position::parse).contains(poison);
        }
    }

    @Nested
    @DisplayName("Closing")
    class Close {

        @ContractTest
        @DisplayName("closing a consumer mid-stream stops delivery and saves its position")
        void closeMidStream() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("mid-stream");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 100);
            CountDownLatch reached = new CountDownLatch(1);
            CountDownLatch release = gate();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 40) {
                    reached.countDown();
                    release.await();
                }
            });
            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("closer").start();
            awaitLatch(reached, TIMEOUT, "handler reached message 40");

            Future<?> closing = beginClose(consumer);
            release.countDown();
            join(closing);

            assertThat(consumer.isRunning()).isFalse();
            assertThat(consumer.stopped()).isCompleted();
            assertThat(seqs(recorder.handled())).as("nothing is delivered once close() returned").containsExactlyElementsOf(range(1, 40));
            assertThat(savedPosition(connect(), topic, "closer")).hasValueSatisfying(saved -> {
                assertThat(saved.covers(positions.get(39))).isTrue();
                assertThat(saved.covers(positions.get(40))).isFalse();
            });
            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("closer").start();
            resumed.awaitDrained(60, TIMEOUT);
            assertThat(seqs(resumed.handled())).containsExactlyElementsOf(range(41, 100));
        }

        @ContractTest
        @DisplayName("a handler may close its own consumer; the message it handled is acknowledged")
        void closeFromHandler() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("self-close");
            append(streamable.producer(topic), "k", 1, 10);
            CompletableFuture<Consumer<Event>> self = new CompletableFuture<>();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 4) {
                    self.join().close();
                }
            });
            self.complete(consumer(streamable, topic, recorder).name("self-closer").start());

            assertThat(self.join().stopped()).succeedsWithin(TIMEOUT);
            assertThat(seqs(recorder.handled())).containsExactly(1, 2, 3, 4);
            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("self-closer").start();
            resumed.awaitDrained(6, TIMEOUT);
            assertThat(seqs(resumed.handled())).containsExactlyElementsOf(range(5, 10));
        }

        @ContractTest
        @DisplayName("close() is idempotent for consumers, producers and connections")
        void idempotent() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("idempotent");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 3);
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("twice").start();
            recorder.awaitDrained(3, TIMEOUT);

            assertThatCode(() -> {
                consumer.close();
                consumer.close();
                producer.close();
                producer.close();
                streamable.close();
                streamable.close();
                consumer.close();
            }).doesNotThrowAnyException();
            assertThat(consumer.stopped()).isCompleted();
            assertThat(consumer.isRunning()).isFalse();
            assertThat(savedPosition(connect(), topic, "twice")).isPresent();
        }

        @ContractTest
        @DisplayName("close() returns while a handler is blocked, and the unfinished message is delivered again")
        void closeWhileHandlerBlocked() throws Exception {
            closeWhileBlocked(1);
        }

        @ContractTest
        @DisplayName("the same with concurrency(4): close() returns while a handler on a lane is blocked")
        void closeWhileLaneBlocked() throws Exception {
            closeWhileBlocked(4);
        }

        private void closeWhileBlocked(int concurrency) throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("blocked-" + concurrency);
            append(streamable.producer(topic), "k", 1, 3);
            CountDownLatch blocked = new CountDownLatch(1);
            CountDownLatch never = gate();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 2) {
                    blocked.countDown();
                    never.await();
                }
            });
            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("stuck").concurrency(concurrency)
                    .closeTimeout(Duration.ofMillis(200)).start();
            awaitLatch(blocked, TIMEOUT, "handler blocked on message 2");

            Future<?> closing = threads(1).submit(consumer::close);
            join(closing);

            assertThat(consumer.isRunning()).isFalse();
            assertThat(consumer.stopped()).succeedsWithin(TIMEOUT);
            assertThat(seqs(recorder.handled())).containsExactly(1);
            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("stuck").start();
            resumed.awaitDrained(2, TIMEOUT);
            assertThat(seqs(resumed.handled())).containsExactly(2, 3);
        }

        @ContractTest
        @DisplayName("a clean close at concurrency(8) with many keys saves everything handled: a restart redelivers nothing and skips nothing")
        void cleanCloseAtConcurrency8RedeliversNothing() {
            int keys = 64;
            int perKey = 40;
            int total = keys * perKey;
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("clean-close-8");
            Producer<Event> producer = streamable.producer(topic);
            List<OutgoingMessage<Event>> batch = new ArrayList<>(total);
            for (int seq = 1; seq <= perKey; seq++) {
                for (int key = 0; key < keys; key++) {
                    batch.add(OutgoingMessage.of("key-" + key, Event.of("key-" + key, seq)));
                }
            }
            producer.appendAllAndWait(batch);
            // a little work per message, so the close lands while handlers of many keys are mid-batch
            Recorder<Event> before = new Recorder<>(message -> LockSupport.parkNanos(200_000));
            Consumer<Event> consumer = consumer(streamable, topic, before).name("eight").concurrency(8)
                    .commitEvery(1_000_000, Duration.ofHours(1)).start();
            before.awaitCount(total / 3, TIMEOUT);

            consumer.close();

            assertThat(consumer.stopped()).succeedsWithin(TIMEOUT);
            Set<Event> handledBefore = new HashSet<>(before.payloads());
            assertThat(handledBefore).as("nothing handled twice before the close").hasSize(before.count());
            Recorder<Event> after = new Recorder<>();
            consumer(connect(), topic, after).name("eight").concurrency(8).start();
            after.awaitDrained(total - handledBefore.size(), TIMEOUT);

            assertThat(after.payloads()).as("messages handled before the close are not delivered again")
                    .doesNotContainAnyElementsOf(handledBefore);
            List<Event> all = new ArrayList<>(before.payloads());
            all.addAll(after.payloads());
            assertThat(all).as("every message handled exactly once across the restart")
                    .containsExactlyInAnyOrderElementsOf(batch.stream().map(OutgoingMessage::payload).toList());
            assertThat(before.overlappedWithinKey() || after.overlappedWithinKey()).isFalse();
        }

        @ContractTest
        @DisplayName("several consumers closing at once from several threads stop cleanly; a fresh consumer still receives everything")
        void concurrentCloses() throws Exception {
            int total = 600;
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("close-storm");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, total / 2);
            List<Consumer<Event>> consumers = new ArrayList<>();
            List<Recorder<Event>> named = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Recorder<Event> recorder = new Recorder<>();
                ConsumerBuilder<Event> builder = consumer(streamable, topic, recorder);
                if (i % 2 == 0) {
                    builder.name("storm-" + i);
                    named.add(recorder);
                }
                consumers.add(builder.start());
            }
            ExecutorService pool = threads(consumers.size() * 2 + 1);
            Future<?> appending = pool.submit(() -> {
                for (int seq = total / 2 + 1; seq <= total; seq += 10) {
                    append(producer, "k", seq, 10);
                }
            });
            named.forEach(recorder -> recorder.awaitCount(10, TIMEOUT));

            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> closing = new ArrayList<>();
            for (Consumer<Event> consumer : consumers) {
                for (int twice = 0; twice < 2; twice++) {
                    closing.add(pool.submit(() -> {
                        go.await();
                        consumer.close();
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> future : closing) {
                join(future);
            }
            join(appending);

            for (Consumer<Event> consumer : consumers) {
                assertThat(consumer.isRunning()).isFalse();
                assertThat(consumer.stopped()).succeedsWithin(TIMEOUT);
            }
            Recorder<Event> fresh = new Recorder<>();
            consumer(connect(), topic, fresh).start();
            fresh.awaitDrained(total, TIMEOUT);
            assertThat(seqs(fresh.handled())).containsExactlyElementsOf(range(1, total));
            for (int i = 0; i < named.size(); i++) {
                Recorder<Event> resumed = new Recorder<>();
                consumer(connect(), topic, resumed).name("storm-" + 2 * i).start();
                int handledBefore = named.get(i).count();
                resumed.awaitDrained(total - handledBefore, TIMEOUT);
                List<Integer> all = new ArrayList<>(seqs(named.get(i).handled()));
                all.addAll(seqs(resumed.handled()));
                assertThat(all).as("consumer storm-%d before and after the close", 2 * i)
                        .containsExactlyElementsOf(range(1, total));
            }
        }

        @ContractTest
        @DisplayName("closing the connection closes its consumers and saves their positions")
        void closingConnectionClosesConsumers() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("close-connection");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 5);
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("owned").start();
            recorder.awaitDrained(5, TIMEOUT);

            streamable.close();

            assertThat(consumer.isRunning()).isFalse();
            assertThat(consumer.stopped()).isCompleted();
            assertThat(savedPosition(connect(), topic, "owned"))
                    .hasValueSatisfying(saved -> assertThat(saved.covers(positions.get(4))).isTrue());
            assertThatThrownBy(() -> streamable.producer(topic)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            Recorder<Event> successor = new Recorder<>();
            consumer(connect(), topic, successor).name("owned").start();
            successor.awaitDrained(0, TIMEOUT);
            assertThat(successor.handled()).as("the name is free again and resumes after what was handled").isEmpty();
        }

        @ContractTest
        @DisplayName("close() during a long retry backoff returns without waiting it out; the failed message comes again")
        void closeDuringBackoff() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("backoff");
            append(streamable.producer(topic), "k", 1, 2);
            CountDownLatch failedOnce = new CountDownLatch(1);
            Recorder<Event> recorder = new Recorder<>(message -> {
                failedOnce.countDown();
                throw new IllegalStateException("fails, then waits a long backoff");
            });
            Consumer<Event> consumer = consumer(streamable, topic, recorder).name("patient").onFailure(failure -> { })
                    .failurePolicy(FailurePolicy.retry(5).withBackoff(Duration.ofMinutes(10), Duration.ofMinutes(10)))
                    .start();
            awaitLatch(failedOnce, TIMEOUT, "first attempt failed");

            join(threads(1).submit(consumer::close));

            assertThat(consumer.stopped()).succeedsWithin(TIMEOUT);
            assertThat(recorder.attempts()).hasSize(1);
            Recorder<Event> resumed = new Recorder<>();
            consumer(connect(), topic, resumed).name("patient").start();
            resumed.awaitDrained(2, TIMEOUT);
            assertThat(seqs(resumed.handled())).containsExactly(1, 2);
        }

        @ContractTest
        @DisplayName("a closed producer refuses appends with a clear error")
        void closedProducer() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("closed-producer");
            Producer<Event> producer = streamable.producer(topic);
            producer.close();

            assertThatThrownBy(() -> producer.append("k", Event.of("k", 1))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed").hasMessageContaining(topic.name());
            assertThat(readAll(streamable, topic)).isEmpty();
        }
    }

    @Nested
    @DisplayName("Backend reader (SPI)")
    class Reader {
        private static final Duration LONG_WAIT = Duration.ofMinutes(10);

        @ContractTest
        @DisplayName("a read waiting on an empty topic returns as soon as a record is appended, long before its wait ends")
        void appendWakesRead() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-wake");
            readWokenBy(streamable, topic, () -> streamable.producer(topic).appendAndWait("k", Event.of("k", 1)));
        }

        @ContractTest
        @DisplayName("a read waiting on one connection is woken by an append through another connection")
        void appendElsewhereWakesRead() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-wake-remote");
            Producer<Event> producer = connect().producer(topic);
            readWokenBy(streamable, topic, () -> producer.appendAndWait("k", Event.of("k", 1)));
        }

        @ContractTest
        @DisplayName("wakeup() makes a waiting read return at once, and the reader stays usable")
        void wakeupReturnsRead() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-wakeup");
            TopicReader reader = openReader(streamable, topic, ReaderSpec.anonymous(StartFrom.beginning()));
            Future<ReadBatch> reading = startWaiting(() -> reader.read(10, LONG_WAIT));

            reader.wakeup();

            assertThat(join(reading).records()).isEmpty();
            streamable.producer(topic).appendAndWait("k", Event.of("k", 1));
            assertThat(readAtLeastOne(reader)).hasSize(1);
        }

        @ContractTest
        @DisplayName("a named reader's commit is what a later reader with that name starts after")
        void commitIsResumedFrom() throws InterruptedException {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-commit");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 3);
            TopicReader first = openReader(streamable, topic, ReaderSpec.named("spi", StartFrom.beginning()));
            first.commit(positions.get(1));
            first.commit(positions.get(0));
            first.close();
            first.close();

            TopicReader second = openReader(connect(), topic, ReaderSpec.named("spi", StartFrom.beginning()));

            assertThat(second.startPosition()).as("saved positions only move forward").contains(positions.get(1));
            assertThat(readAtLeastOne(second)).extracting(StoredRecord::position).containsExactly(positions.get(2));
        }

        @ContractTest
        @DisplayName("a named reader saves its start when it opens: closed without a commit, the name starts there again, not at a start given later")
        void startSavedAtFirstUse() throws InterruptedException {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-start-saved");
            // what the framework resolves StartFrom.latest() to on an empty topic
            TopicReader killed = openReader(streamable, topic, ReaderSpec.named("first-use", StartFrom.beginning()));
            killed.close();
            List<Position> positions = append(streamable.producer(topic), "k", 1, 3);

            // what latest resolves to now: the head; the saved start must win
            TopicReader resumed = openReader(connect(), topic, ReaderSpec.named("first-use", StartFrom.after(positions.get(2))));

            assertThat(readSome(resumed, "the records after the start saved at first use (the beginning)"))
                    .extracting(StoredRecord::position).first().isEqualTo(positions.get(0));
        }

        @ContractTest
        @DisplayName("a named reader started after a position saves it when it opens: closed without a commit, the name resumes after it")
        void afterPositionSavedAtFirstUse() throws InterruptedException {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("spi-after-saved");
            List<Position> positions = append(streamable.producer(topic), "k", 1, 4);
            TopicReader killed = openReader(streamable, topic, ReaderSpec.named("first-use", StartFrom.after(positions.get(0))));
            killed.close();

            TopicReader resumed = openReader(connect(), topic, ReaderSpec.named("first-use", StartFrom.after(positions.get(3))));

            assertThat(resumed.startPosition()).contains(positions.get(0));
            assertThat(readSome(resumed, "the records after the start saved at first use"))
                    .extracting(StoredRecord::position).first().isEqualTo(positions.get(1));
        }

        @ContractTest
        @DisplayName("fencing: once a paused reader's name is taken over, its commits are refused and change nothing, its reads throw, and the new owner's commits work")
        void pausedHolderIsFenced() throws InterruptedException {
            Streamable first = connect();
            Streamable second = connect();
            Topic<Event> topic = eventTopic("spi-fencing");
            List<Position> positions = append(first.producer(topic), "k", 1, 3);
            TopicReader paused = openReader(first, topic, ReaderSpec.named("fenced", StartFrom.beginning()));
            assertThat(readSome(paused, "the stored records")).isNotEmpty();
            paused.commit(positions.get(0));

            backend().suspendOwnership(paused);
            TopicReader owner = Awaitility.await("the name taken over once the paused reader's lease expired")
                    .atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsInstanceOf(ConsumerNameInUseException.class)
                    .until(() -> openReader(second, topic, ReaderSpec.named("fenced", StartFrom.beginning())),
                            Objects::nonNull);

            assertThat(owner.startPosition()).as("the new owner resumes after the last saved position").contains(positions.get(0));
            // the owner is used at once and again before its name is checked, as a live process uses its reader:
            // where the lease is the reader's own liveness (Kafka: a poll within max.poll.interval.ms), an owner
            // left uncalled for that long is rightly expired, and the steps below can take that long when loaded
            assertThat(readSome(owner, "the records after the last saved position"))
                    .extracting(StoredRecord::position).first().isEqualTo(positions.get(1));
            owner.commit(positions.get(1));

            assertThatThrownBy(() -> paused.commit(positions.get(2))).isInstanceOf(ConsumerFencedException.class)
                    .hasMessageContaining("fenced").hasMessageContaining(topic.name());
            assertThat(savedPosition(connect(), topic, "fenced"))
                    .as("a fenced commit is never applied; the new owner's is").contains(positions.get(1));
            assertThatThrownBy(() -> paused.read(10, Duration.ZERO)).isInstanceOf(ConsumerFencedException.class);
            paused.close();
            owner.read(10, Duration.ZERO);
            assertThatThrownBy(() -> connect().backend().topic(topic.name())
                    .openReader(ReaderSpec.named("fenced", StartFrom.beginning())))
                    .as("closing the fenced reader does not release the new owner's name")
                    .isInstanceOf(ConsumerNameInUseException.class);
        }

        private void readWokenBy(Streamable streamable, Topic<Event> topic, Runnable append) throws Exception {
            TopicReader reader = openReader(streamable, topic, ReaderSpec.anonymous(StartFrom.beginning()));
            assertThat(reader.read(10, Duration.ZERO).records()).isEmpty();
            Future<List<StoredRecord>> reading = startWaiting(() -> readAtLeastOne(reader));

            append.run();

            // a backend that is not woken waits LONG_WAIT and fails here after TIMEOUT
            assertThat(join(reading)).hasSize(1);
        }

        /** Reads until a batch brings records; fails, rather than hangs, if none comes within {@link #TIMEOUT}. */
        private List<StoredRecord> readSome(TopicReader reader, String expectation) throws InterruptedException {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                List<StoredRecord> records = reader.read(10, Duration.ofSeconds(1)).records();
                if (!records.isEmpty()) {
                    return records;
                }
            }
            throw new AssertionError("The reader returned no record within " + TIMEOUT + "; expected " + expectation);
        }

        private List<StoredRecord> readAtLeastOne(TopicReader reader) throws InterruptedException {
            List<StoredRecord> records = new ArrayList<>();
            while (records.isEmpty()) {
                records.addAll(reader.read(10, LONG_WAIT).records());
            }
            return records;
        }

        private TopicReader openReader(Streamable streamable, Topic<?> topic, ReaderSpec spec) {
            TopicReader reader = streamable.backend().topic(topic.name()).openReader(spec);
            resources.track(reader);
            return reader;
        }

        /**
         * Starts a read on another thread and gives it the chance to start waiting before the test
         * acts: returns once its thread parks. A read waiting in native I/O never parks, so after a
         * few seconds the test goes on regardless; the read must still return, it only proves less.
         */
        private <R> Future<R> startWaiting(Callable<R> read) throws Exception {
            CompletableFuture<Thread> readingThread = new CompletableFuture<>();
            Future<R> reading = threads(1).submit(() -> {
                readingThread.complete(Thread.currentThread());
                return read.call();
            });
            Thread thread = readingThread.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(3)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                        .until(() -> reading.isDone() || thread.getState() == Thread.State.WAITING
                                || thread.getState() == Thread.State.TIMED_WAITING);
            } catch (ConditionTimeoutException e) {
                // see above: not a failure
            }
            return reading;
        }
    }

    @Nested
    @DisplayName("Lag")
    class Lag {

        @ContractTest
        @DisplayName("lag reaches 0 once the consumer has caught up")
        void zeroWhenCaughtUp() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("lag-zero");
            append(streamable.producer(topic), "k", 1, 50);
            Recorder<Event> recorder = new Recorder<>();

            Consumer<Event> consumer = consumer(streamable, topic, recorder).start();
            recorder.awaitDrained(50, TIMEOUT);

            eventually().untilAsserted(() -> assertThat(consumer.lag()).isZero());
        }

        @ContractTest
        @DisplayName("lag equals the number of messages a paused consumer has not handled yet")
        void countsWhatIsBehind() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("lag-paused");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, "k", 1, 5);
            CountDownLatch release = gate();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 6) {
                    release.await();
                }
            });
            Consumer<Event> consumer = consumer(streamable, topic, recorder).start();
            recorder.awaitDrained(5, TIMEOUT);
            eventually().untilAsserted(() -> assertThat(consumer.lag()).isZero());

            append(producer, "k", 6, 10);

            eventually().untilAsserted(() -> assertThat(consumer.lag()).isEqualTo(10));
            release.countDown();
            recorder.awaitDrained(15, TIMEOUT);
            eventually().untilAsserted(() -> assertThat(consumer.lag()).isZero());
        }

        @ContractTest
        @DisplayName("a consumer that has handled nothing yet is behind by every stored message")
        void everythingBehindAtStart() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("lag-start");
            append(streamable.producer(topic), "k", 1, 7);
            CountDownLatch release = gate();
            Recorder<Event> recorder = new Recorder<>(message -> release.await());

            Consumer<Event> consumer = consumer(streamable, topic, recorder).start();

            eventually().untilAsserted(() -> assertThat(recorder.attempts()).isNotEmpty());
            assertThat(consumer.lag()).isEqualTo(7);
        }
    }

    @Nested
    @DisplayName("Concurrency")
    class Concurrency {

        @ContractTest
        @DisplayName("10,000 appends from 50 threads at once all land, with distinct positions, and all read back")
        void manyThreadsAppend() throws Exception {
            int threadCount = 50;
            int perThread = 200;
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("append-storm");
            Producer<Event> producer = streamable.producer(topic);
            ExecutorService pool = threads(threadCount);
            CountDownLatch ready = new CountDownLatch(threadCount);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<Position>>> appending = new ArrayList<>();
            for (int thread = 0; thread < threadCount; thread++) {
                int source = thread;
                appending.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    List<CompletableFuture<Position>> pending = new ArrayList<>(perThread);
                    for (int seq = 0; seq < perThread; seq++) {
                        String key = "thread-" + source;
                        pending.add(producer.append(key, new Event(key, source, seq)));
                    }
                    List<Position> positions = new ArrayList<>(perThread);
                    for (CompletableFuture<Position> future : pending) {
                        positions.add(future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                    }
                    return positions;
                }));
            }
            awaitLatch(ready, TIMEOUT, "all appending threads ready");
            go.countDown();
            Set<Position> positions = new HashSet<>();
            int appended = 0;
            for (Future<List<Position>> future : appending) {
                List<Position> some = join(future);
                appended += some.size();
                positions.addAll(some);
            }

            assertThat(appended).isEqualTo(threadCount * perThread);
            assertThat(positions).as("distinct positions").hasSize(threadCount * perThread);
            List<Message<Event>> readBack = readAll(connect(), topic);
            assertThat(readBack).hasSize(threadCount * perThread);
            assertThat(readBack.stream().map(Message::position).collect(Collectors.toSet())).isEqualTo(positions);
            Map<String, List<Integer>> seqsByKey = readBack.stream().collect(Collectors.groupingBy(Message::shardingKey,
                    Collectors.mapping(message -> message.payload().seq(), Collectors.toList())));
            assertThat(seqsByKey).hasSize(threadCount).allSatisfy((key, seqs) ->
                    assertThat(seqs).as("key %s in append order", key).containsExactlyElementsOf(range(0, perThread - 1)));
        }

        @ContractTest
        @DisplayName("producers and consumers on several connections work at once without losing a message")
        void manyConnectionsAtOnce() throws Exception {
            int connections = 4;
            int perConnection = 500;
            Topic<Event> topic = eventTopic("connections");
            List<Recorder<Event>> recorders = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                Recorder<Event> recorder = new Recorder<>();
                consumer(connect(), topic, recorder).name("reader-" + i).concurrency(1 + i % 2).start();
                recorders.add(recorder);
            }
            ExecutorService pool = threads(connections);
            List<Future<?>> producing = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                int source = i;
                Producer<Event> producer = connect().producer(topic);
                producing.add(pool.submit(() -> {
                    for (int seq = 0; seq < perConnection; seq++) {
                        String key = "source-" + source + "-" + seq % 5;
                        producer.appendAndWait(key, new Event(key, source, seq));
                    }
                    return null;
                }));
            }
            for (Future<?> future : producing) {
                join(future);
            }

            Set<Event> expected = new HashSet<>();
            for (int source = 0; source < connections; source++) {
                for (int seq = 0; seq < perConnection; seq++) {
                    expected.add(new Event("source-" + source + "-" + seq % 5, source, seq));
                }
            }
            for (Recorder<Event> recorder : recorders) {
                recorder.awaitDrained(expected.size(), TIMEOUT);
                assertThat(recorder.handled()).hasSize(expected.size());
                assertThat(new HashSet<>(recorder.payloads())).isEqualTo(expected);
                assertPositionsIncreasePerKey(recorder.handled());
            }
        }
    }
}
