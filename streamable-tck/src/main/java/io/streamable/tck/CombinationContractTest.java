package io.streamable.tck;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.tck.ContractPayloads.Event;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guarantees of the backend contract in combination: several connections, producers with and
 * without logCompactIds (a few ids, so compaction runs all the time), live named consumers at
 * concurrency 1 and 4, consumers closed and restarted by name on another connection while
 * producers go on. A backend runs it the way it runs {@link BackendContractTest}:
 *
 * <pre>{@code
 * class InMemoryCombinationTest extends CombinationContractTest {
 *     @Override
 *     protected BackendFixture fixture() {
 *         return () -> Streamable.open("memory:combination");
 *     }
 * }
 * }</pre>
 *
 * <p>The oracle, checked for every live consumer over everything its sessions handled:
 * <ul>
 *   <li>every acknowledged message was delivered, or a message with its logCompactId and a greater
 *       position (in its partition) was delivered: it was superseded;</li>
 *   <li>within one session, each sharding key's messages arrive with increasing positions in one
 *       partition, and each producer's messages of a key in the order it appended them;</li>
 *   <li>whenever {@link Consumer#lag()} returns 0, every message acknowledged before the call is
 *       delivered or superseded (sampled while producers run, and once at the end).</li>
 * </ul>
 * On the producers' side, every acknowledged position is distinct and an append that starts after
 * another was acknowledged gets a greater position (in the same partition): no later append can
 * take a position below one already handed out. A fresh reader from the beginning afterwards sees
 * every message without an id once and ends, per id, on the newest one.
 *
 * <p>A logCompactId always travels with one sharding key here, so on a {@link Capability#PARTITIONED}
 * backend all versions of an id share a partition. With {@link Capability#LAZY_COMPACTION}
 * superseded messages may still be delivered, which the oracle allows anyway; without it, the fresh
 * reader must see exactly one message per id.
 *
 * <p>The group {@link Groups} runs the same stories with each live consumer a consumer group of
 * two members on different connections (with {@link Capability#CONSUMER_GROUPS}; a group of one
 * without it), restarted member by member, so slots move while producers compact. The oracle is
 * then checked over the union of the members' sessions, once every member's lag is 0 (a member's
 * lag covers only its own slots, so it is not sampled while producers run), and no sharding key
 * may ever be in two handlers of one name at once, across members and restarts.
 *
 * <p>The group {@link FourSteps} is the deterministic sequence of issue 11: an append on one
 * connection right after compaction on another must still land above everything a reader passed.
 */
public abstract class CombinationContractTest {
    /** The longest any single wait may take before a test fails: generous, for loaded CI machines. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How long producers of one scenario may take altogether. */
    protected static final Duration PRODUCING_TIMEOUT = Duration.ofSeconds(120);
    /** How soon a live consumer must see a new message, or report a lag above 0. */
    protected static final Duration PROMPTLY = Duration.ofSeconds(10);
    /** The few logCompactIds the compacting producers share; each travels with its own sharding key. */
    private static final int COMPACT_IDS = 3;
    /** How many violations a failure lists before it stops. */
    private static final int SHOWN = 10;

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
        resources.closeAll();
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
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

    /** A topic no other test uses; the names start with {@code tck-combo-}. */
    private static Topic<Event> eventTopic(String purpose) {
        return Topic.of("tck-combo-" + purpose + "-" + UUID.randomUUID(), Event.class);
    }

    private ExecutorService threads(int count) {
        return resources.threads(count);
    }

    private static ConditionFactory eventually(Duration timeout) {
        return Awaitility.await().atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20));
    }

    private static <R> R join(Future<R> future, Duration timeout) throws Exception {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new AssertionError("A background task did not finish within " + timeout, e);
        }
    }

    /** Starts a named consumer from the beginning (the first time; later it resumes after its saved position). */
    private Consumer<Event> startNamed(Streamable streamable, Topic<Event> topic, String name, int concurrency,
                                       Recorder<Event> recorder) {
        Consumer<Event> consumer = streamable.consumer(topic).name(name).startFrom(StartFrom.beginning())
                .concurrency(concurrency).handler(recorder).onCaughtUp(recorder::caughtUp).start();
        resources.track(consumer);
        return consumer;
    }

    /** Everything a new anonymous reader from the beginning sees right now, on a connection of its own. */
    private List<Message<Event>> readAll(Topic<Event> topic) {
        Recorder<Event> recorder = new Recorder<>();
        Consumer<Event> reader = connect().consumer(topic).handler(recorder).onCaughtUp(recorder::caughtUp).start();
        try {
            recorder.awaitDrained(0, TIMEOUT);
            return recorder.handled();
        } finally {
            reader.close();
        }
    }

    private static int partitionOf(Position position) {
        if (position.offsets().size() != 1) {
            throw new AssertionError("A message's position must name exactly one partition, got " + position);
        }
        return position.offsets().firstKey();
    }

    private static long offsetOf(Position position) {
        return position.offsets().get(partitionOf(position));
    }

    /** Whether {@code position} lies after {@code than} in the same partition. */
    private static boolean after(Position position, Position than) {
        return partitionOf(position) == partitionOf(than) && position.compareInPartition(than) > 0;
    }

    /** Messages as {@code [position=payload, ...]}, for failure messages. */
    private static String listed(List<Message<Event>> messages) {
        return messages.stream().map(message -> message.position() + "=" + message.payload())
                .collect(Collectors.joining(", ", "[", "]"));
    }

    private static String shown(List<String> problems) {
        return problems.stream().limit(SHOWN).collect(Collectors.joining("\n  ", "\n  ", problems.size() > SHOWN
                ? "\n  ... and " + (problems.size() - SHOWN) + " more" : ""));
    }

    /**
     * An acknowledged append: what was sent, the position the backend returned, and when (in
     * {@link System#nanoTime()}) the append was called and when it had returned.
     */
    private record Acked(Event event, Optional<String> logCompactId, Position position, long startNanos, long ackNanos) {
        @Override
        public String toString() {
            return event + logCompactId.map(id -> " with logCompactId " + id).orElse("") + " at position " + position;
        }
    }

    /**
     * The messages of {@code acked} that {@code delivered} neither contains nor supersedes with a
     * message of the same logCompactId at a greater position.
     */
    private static List<Acked> missing(Collection<Acked> acked, Collection<Message<Event>> delivered) {
        Set<Event> seen = new HashSet<>();
        // per logCompactId and partition, the greatest delivered offset: anything of that id below it is superseded
        Map<String, Map<Integer, Long>> newestSeen = new HashMap<>();
        for (Message<Event> message : delivered) {
            seen.add(message.payload());
            message.logCompactId().ifPresent(id -> newestSeen.computeIfAbsent(id, i -> new HashMap<>())
                    .merge(partitionOf(message.position()), offsetOf(message.position()), Math::max));
        }
        List<Acked> missing = new ArrayList<>();
        for (Acked message : acked) {
            if (seen.contains(message.event())) {
                continue;
            }
            Long newest = message.logCompactId().map(id -> newestSeen.getOrDefault(id, Map.of())
                    .get(partitionOf(message.position()))).orElse(null);
            if (newest == null || newest <= offsetOf(message.position())) {
                missing.add(message);
            }
        }
        return missing;
    }

    // ---------------------------------------------------------------------------------------------
    // The scenario engine behind the combination tests
    // ---------------------------------------------------------------------------------------------

    /**
     * One combination run.
     *
     * @param compacting        per producer (each on a connection of its own): whether it sends
     *                          logCompactIds (most of its messages) or never does
     * @param perProducer       how many messages each producer appends
     * @param concurrencies     one live named consumer per entry, with that concurrency
     * @param restarts          how often each consumer is closed and restarted by name on another
     *                          connection while producers run
     * @param startMidStream    whether the consumers first start (from the beginning) only once a
     *                          quarter of the messages is acknowledged, instead of before the first
     * @param ownIds            whether each compacting producer has {@value #COMPACT_IDS} ids of its
     *                          own, instead of all of them sharing {@value #COMPACT_IDS} ids
     * @param members           members per live consumer: 1 for an exclusive named consumer, more for
     *                          a consumer group of that many members (each restart then restarts them
     *                          one by one)
     */
    private record Scenario(List<Boolean> compacting, int perProducer, List<Integer> concurrencies, int restarts,
                            boolean startMidStream, boolean ownIds, int members) {
        Scenario(List<Boolean> compacting, int perProducer, List<Integer> concurrencies, int restarts,
                 boolean startMidStream, boolean ownIds) {
            this(compacting, perProducer, concurrencies, restarts, startMidStream, ownIds, 1);
        }

        int total() {
            return compacting.size() * perProducer;
        }
    }

    /**
     * A live named consumer across its sessions: one member, or the members of a consumer group of
     * that name. Each restart is a new session per member, on another connection than its last.
     */
    private final class LiveConsumer {
        final String name;
        final int concurrency;
        final List<Recorder<Event>> sessions = new CopyOnWriteArrayList<>();
        /** The running session of each member. */
        final List<Consumer<Event>> members;
        /** Handlers of this name running now, per sharding key, across members and sessions. */
        private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        /** Keys found in two handlers of this name at once, with the position of the second. */
        final Set<String> overlaps = ConcurrentHashMap.newKeySet();
        private int restarts;

        LiveConsumer(String name, int concurrency, int members) {
            this.name = name;
            this.concurrency = concurrency;
            this.members = new ArrayList<>(Collections.nCopies(members, null));
        }

        /**
         * Starts every member, or restarts them one after the other: the others keep their slots
         * and take over the restarted one's until it has joined again.
         */
        void startOrRestart(List<Streamable> connections, Topic<Event> topic, int index) {
            for (int member = 0; member < members.size(); member++) {
                if (members.get(member) != null) {
                    members.get(member).close();
                }
                Streamable connection = connections.get((index + member + restarts) % connections.size());
                Recorder<Event> recorder = new Recorder<>(this::exclusively);
                members.set(member, startNamed(connection, topic, name, concurrency, recorder));
                sessions.add(recorder);
            }
            restarts++;
        }

        /** Notes a key handled by two handlers of this name at once (a group member's slot moved too early). */
        private void exclusively(Message<Event> message) {
            AtomicInteger handlers = running.computeIfAbsent(message.shardingKey(), key -> new AtomicInteger());
            try {
                if (handlers.incrementAndGet() > 1) {
                    overlaps.add(message.shardingKey() + " at " + message.position());
                }
                Thread.yield(); // a moment in the handler, for another member's handler of the key to show
            } finally {
                handlers.decrementAndGet();
            }
        }

        boolean isGroup() {
            return members.size() > 1;
        }

        long lag() {
            return members.stream().mapToLong(Consumer::lag).sum();
        }

        /** Everything every session handled, duplicates of a restart included. */
        List<Message<Event>> delivered() {
            List<Message<Event>> all = new ArrayList<>();
            sessions.forEach(session -> all.addAll(session.handled()));
            return all;
        }

        @Override
        public String toString() {
            return (isGroup() ? "group \"" + name + "\" of " + members.size() + " members" : "consumer \"" + name + "\"")
                    + " (concurrency " + concurrency + ", " + sessions.size() + " session(s))";
        }
    }

    private void run(Scenario scenario) throws Exception {
        Topic<Event> topic = eventTopic("scenario");
        List<Streamable> consumerConnections = List.of(connect(), connect());
        // a backend without consumer groups refuses a second member: it runs the story with groups of one
        int members = has(Capability.CONSUMER_GROUPS) ? scenario.members() : 1;
        List<LiveConsumer> consumers = new ArrayList<>();
        for (int i = 0; i < scenario.concurrencies().size(); i++) {
            consumers.add(new LiveConsumer("live-" + i + "-c" + scenario.concurrencies().get(i),
                    scenario.concurrencies().get(i), members));
        }
        Runnable startOrRestart = () -> {
            for (int i = 0; i < consumers.size(); i++) {
                consumers.get(i).startOrRestart(consumerConnections, topic, i);
            }
        };
        if (!scenario.startMidStream()) {
            startOrRestart.run();
        }

        List<Acked> acked = new CopyOnWriteArrayList<>();
        Set<String> lagViolations = new LinkedHashSet<>(); // only this thread samples the lag
        List<Producer<Event>> producers = new ArrayList<>();
        for (int source = 0; source < scenario.compacting().size(); source++) {
            producers.add(connect().producer(topic));
        }
        ExecutorService pool = threads(producers.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> producing = new ArrayList<>();
        for (int source = 0; source < producers.size(); source++) {
            int me = source;
            producing.add(pool.submit(() -> {
                go.await();
                produce(me, producers.get(me), scenario, acked);
                return null;
            }));
        }
        go.countDown();

        // milestones (in acknowledged messages) at which the consumers start or restart
        List<Integer> milestones = new ArrayList<>();
        if (scenario.startMidStream()) {
            milestones.add(scenario.total() / 4);
        }
        for (int restart = 1; restart <= scenario.restarts(); restart++) {
            milestones.add(scenario.total() * restart / (scenario.restarts() + 1));
        }
        Collections.sort(milestones);
        for (int milestone : milestones) {
            eventually(PRODUCING_TIMEOUT).pollInterval(Duration.ofMillis(25)).until(() -> {
                checkLag(consumers, acked, lagViolations);
                return acked.size() >= milestone || producing.stream().allMatch(Future::isDone);
            });
            startOrRestart.run();
        }
        eventually(PRODUCING_TIMEOUT).pollInterval(Duration.ofMillis(25)).until(() -> {
            checkLag(consumers, acked, lagViolations);
            return producing.stream().allMatch(Future::isDone);
        });
        for (Future<?> future : producing) {
            join(future, TIMEOUT);
        }
        assertThat(acked).as("acknowledged appends").hasSize(scenario.total());

        assertAppendOrder(acked);
        for (LiveConsumer consumer : consumers) {
            // lag 0 must mean nothing is missing; a backend that lost a message below the consumer's
            // position reports 0 at once, so the check right after is what fails
            eventually(TIMEOUT).untilAsserted(() -> assertThat(consumer.lag())
                    .as("lag of %s once producers are done", consumer).isZero());
            if (consumer.isGroup()) {
                for (Consumer<Event> member : consumer.members) {
                    eventually(TIMEOUT).untilAsserted(() -> assertThat(member.assignment()
                            .map(GroupAssignment::slots).orElse(Set.of())).as("slots of a member of %s", consumer).isNotEmpty());
                }
                // a slot between two owners is in no member's lag: its new owner delivers it soon after
                eventually(TIMEOUT).untilAsserted(() -> assertThat(missing(acked, consumer.delivered()))
                        .as("acknowledged messages no member of %s received", consumer).isEmpty());
                eventually(TIMEOUT).untilAsserted(() -> assertThat(consumer.lag())
                        .as("lag of %s once every message is delivered", consumer).isZero());
            }
            List<Acked> missing = missing(acked, consumer.delivered());
            assertThat(missing).as("%s reports lag 0, but these acknowledged messages were neither delivered to it nor"
                    + " superseded by a delivered newer message with their logCompactId:%s", consumer, shown(
                    missing.stream().map(Acked::toString).toList())).isEmpty();
            assertSessionOrder(consumer, acked);
            assertThat(consumer.overlaps).as("%s handled these keys in two handlers at once", consumer).isEmpty();
            for (Consumer<Event> member : consumer.members) {
                assertThat(member.isRunning()).as("%s still running", consumer).isTrue();
            }
        }
        assertThat(lagViolations).as("lag() was 0 while producers ran although acknowledged messages were missing:%s",
                shown(List.copyOf(lagViolations))).isEmpty();
        assertFreshReader(topic, acked);
    }

    /** Appends the scenario's messages of one producer, in batches of 1 to 4, recording each acknowledgement. */
    private static void produce(int source, Producer<Event> producer, Scenario scenario, List<Acked> acked) {
        Random random = new Random();
        boolean compacting = scenario.compacting().get(source);
        int seq = 0;
        while (seq < scenario.perProducer()) {
            int size = Math.min(1 + random.nextInt(4), scenario.perProducer() - seq);
            List<OutgoingMessage<Event>> batch = new ArrayList<>(size);
            List<Optional<String>> ids = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                Optional<String> id = Optional.empty();
                String key = "plain-" + source + "-" + random.nextInt(3);
                if (compacting && random.nextInt(5) > 0) {
                    String compactId = (scenario.ownIds() ? "own-" + source + "-" : "shared-") + random.nextInt(COMPACT_IDS);
                    id = Optional.of(compactId);
                    key = "key-of-" + compactId; // an id always travels with one key, so with one partition
                }
                OutgoingMessage<Event> message = OutgoingMessage.of(key, new Event(key, source, seq++));
                batch.add(id.map(message::withLogCompactId).orElse(message));
                ids.add(id);
            }
            long start = System.nanoTime();
            List<Position> positions = producer.appendAllAndWait(batch);
            long ack = System.nanoTime();
            for (int i = 0; i < size; i++) {
                acked.add(new Acked(batch.get(i).payload(), ids.get(i), positions.get(i), start, ack));
            }
        }
    }

    /**
     * For every live consumer whose lag is 0 right now: everything acknowledged before asking must
     * be delivered or superseded. Only the thread that restarts consumers calls this.
     */
    private static void checkLag(List<LiveConsumer> consumers, List<Acked> acked, Set<String> violations) {
        for (LiveConsumer consumer : consumers) {
            if (consumer.members.contains(null) || consumer.isGroup()) {
                continue; // not started yet, or a group, whose members each report only their own slots
            }
            List<Acked> before = List.copyOf(acked);
            if (consumer.members.get(0).lag() != 0) {
                continue;
            }
            for (Acked missing : missing(before, consumer.delivered())) {
                violations.add(consumer + ": " + missing);
            }
        }
    }

    /**
     * The producers' side: distinct positions; each producer's messages of one key in append order;
     * and an append that started after another was acknowledged lies after it in their partition.
     */
    private static void assertAppendOrder(List<Acked> acked) {
        Map<Position, List<Acked>> byPosition = acked.stream().collect(Collectors.groupingBy(Acked::position));
        List<String> shared = byPosition.values().stream().filter(same -> same.size() > 1)
                .map(same -> same.stream().map(Acked::toString).collect(Collectors.joining(" and "))).toList();
        assertThat(shared).as("positions acknowledged for two appends (a reader that passed the first never receives the"
                + " second; for example, compaction freed the position and a later append took it):%s",
                shown(shared)).isEmpty();
        Map<String, List<Acked>> byProducerAndKey = acked.stream().collect(Collectors.groupingBy(
                message -> message.event().source() + "/" + message.event().key(), LinkedHashMap::new, Collectors.toList()));
        byProducerAndKey.forEach((producerAndKey, messages) -> {
            List<Acked> inAppendOrder = messages.stream().sorted(Comparator.comparingInt(m -> m.event().seq())).toList();
            for (int i = 1; i < inAppendOrder.size(); i++) {
                assertThat(after(inAppendOrder.get(i).position(), inAppendOrder.get(i - 1).position()))
                        .as("producer/key %s: %s was appended after %s, so must lie after it in the same partition",
                                producerAndKey, inAppendOrder.get(i), inAppendOrder.get(i - 1)).isTrue();
            }
        });
        List<String> overtaken = new ArrayList<>();
        Map<Integer, List<Acked>> byPartition = acked.stream()
                .collect(Collectors.groupingBy(message -> partitionOf(message.position())));
        byPartition.forEach((partition, messages) -> {
            List<Acked> byAck = messages.stream().sorted(Comparator.comparingLong(Acked::ackNanos)).toList();
            List<Acked> byStart = messages.stream().sorted(Comparator.comparingLong(Acked::startNanos)).toList();
            int next = 0;
            Acked highestAcked = null;
            for (Acked message : byStart) {
                while (next < byAck.size() && byAck.get(next).ackNanos() < message.startNanos()) {
                    Acked done = byAck.get(next++);
                    if (highestAcked == null || done.position().compareInPartition(highestAcked.position()) > 0) {
                        highestAcked = done;
                    }
                }
                if (highestAcked != null && message.position().compareInPartition(highestAcked.position()) <= 0) {
                    overtaken.add(message + " was appended after " + highestAcked + " had been acknowledged");
                }
            }
        });
        assertThat(overtaken).as("appends given a position at or below one already acknowledged in their partition"
                + " (a reader that passed it never receives them):%s", shown(overtaken)).isEmpty();
    }

    /** Within each session: per key, increasing positions in one partition, and each producer's messages in append order. */
    private static void assertSessionOrder(LiveConsumer consumer, List<Acked> acked) {
        Map<Event, Position> ackedAt = new HashMap<>();
        acked.forEach(message -> ackedAt.put(message.event(), message.position()));
        for (int session = 0; session < consumer.sessions.size(); session++) {
            Recorder<Event> recorder = consumer.sessions.get(session);
            assertThat(recorder.overlappedWithinKey()).as("%s session %d ran two handlers of one key at once",
                    consumer, session + 1).isFalse();
            for (Message<Event> message : recorder.handled()) {
                assertThat(message.position()).as("%s session %d: position of %s is the one its append returned",
                        consumer, session + 1, message.payload()).isEqualTo(ackedAt.get(message.payload()));
            }
            assertPerKeyOrder(consumer + " session " + (session + 1), recorder.handled());
        }
    }

    /** Per key: increasing positions in one partition, and each producer's messages in the order it appended them. */
    private static void assertPerKeyOrder(String reader, List<Message<Event>> delivered) {
        Map<String, Message<Event>> lastByKey = new HashMap<>();
        for (Message<Event> message : delivered) {
            Message<Event> previous = lastByKey.put(message.shardingKey(), message);
            if (previous == null) {
                continue;
            }
            assertThat(after(message.position(), previous.position())).as("%s: key %s delivered %s at %s after %s at %s",
                    reader, message.shardingKey(), message.payload(), message.position(), previous.payload(),
                    previous.position()).isTrue();
            if (previous.payload().source() == message.payload().source()) {
                assertThat(message.payload().seq()).as("%s: key %s in the producer's order, %s after %s", reader,
                        message.shardingKey(), message.payload(), previous.payload()).isGreaterThan(previous.payload().seq());
            }
        }
    }

    /**
     * A reader from the beginning on a new connection: each message without an id once, per id the
     * newest last (and alone, unless compaction is lazy), nothing that was not acknowledged.
     */
    private void assertFreshReader(Topic<Event> topic, List<Acked> acked) {
        List<Message<Event>> read = readAll(topic);
        Map<Event, Acked> byEvent = new HashMap<>();
        acked.forEach(message -> byEvent.put(message.event(), message));
        for (Message<Event> message : read) {
            assertThat(byEvent.get(message.payload())).as("a fresh reader got %s at %s, which no append acknowledged",
                    message.payload(), message.position()).isNotNull();
            assertThat(message.position()).as("position of %s", message.payload())
                    .isEqualTo(byEvent.get(message.payload()).position());
        }
        List<Event> plainAcked = acked.stream().filter(message -> message.logCompactId().isEmpty()).map(Acked::event).toList();
        List<Event> plainRead = read.stream().filter(message -> message.logCompactId().isEmpty()).map(Message::payload).toList();
        assertThat(plainRead).as("messages without logCompactId seen by a fresh reader from the beginning")
                .containsExactlyInAnyOrderElementsOf(plainAcked);

        Map<String, Acked> newest = new HashMap<>();
        acked.stream().filter(message -> message.logCompactId().isPresent()).forEach(message -> newest.merge(
                message.logCompactId().get(), message, (one, other) -> after(other.position(), one.position()) ? other : one));
        Map<String, Event> folded = new HashMap<>();
        Map<String, Integer> copies = new HashMap<>();
        for (Message<Event> message : read) {
            message.logCompactId().ifPresent(id -> {
                folded.put(id, message.payload());
                copies.merge(id, 1, Integer::sum);
            });
        }
        newest.forEach((id, message) -> assertThat(folded.get(id))
                .as("last value of logCompactId %s for a fresh reader from the beginning: the one at the greatest"
                        + " position, %s", id, message).isEqualTo(message.event()));
        // and that one must not be older than another version: none may start after it was acknowledged
        acked.stream().filter(message -> message.logCompactId().isPresent()).forEach(message -> {
            Acked last = newest.get(message.logCompactId().get());
            assertThat(message.startNanos() > last.ackNanos()).as("%s was appended after %s had been acknowledged, yet a"
                    + " fold from the beginning ends on the older one", message, last).isFalse();
        });
        assertPerKeyOrder("a fresh reader from the beginning", read);
        if (!has(Capability.LAZY_COMPACTION)) {
            assertThat(copies).as("messages per logCompactId left for a fresh reader (compaction is not lazy)")
                    .allSatisfy((id, count) -> assertThat(count).as("copies of %s", id).isEqualTo(1));
        }
        Map<Integer, Position> lastInPartition = new HashMap<>();
        for (Message<Event> message : read) {
            Position previous = lastInPartition.put(partitionOf(message.position()), message.position());
            if (previous != null) {
                assertThat(message.position().compareInPartition(previous))
                        .as("a fresh reader's positions increase within a partition: %s after %s", message.position(), previous)
                        .isPositive();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Several connections, compaction and live named consumers")
    class Combinations {

        @ContractTest
        @DisplayName("a plain and two compacting producers on three connections: every acknowledged message reaches"
                + " live consumers at concurrency 1 and 4, or is superseded by a delivered newer one")
        void plainAndCompactingProducers() throws Exception {
            run(new Scenario(List.of(false, true, true), 300, List.of(1, 4), 0, false, false));
        }

        @ContractTest
        @DisplayName("consumers closed twice mid-stream and restarted by name on another connection miss nothing,"
                + " and their lag is 0 only once nothing is missing")
        void consumersRestartedMidStream() throws Exception {
            run(new Scenario(List.of(false, true, true), 300, List.of(1, 4), 2, false, false));
        }

        @ContractTest
        @DisplayName("consumers that first start from the beginning while compaction runs, then restart, miss nothing")
        void consumersStartWhileCompacting() throws Exception {
            run(new Scenario(List.of(true, false, true), 300, List.of(1, 4), 1, true, false));
        }

        @ContractTest
        @DisplayName("three compacting producers, each with ids of its own, and restarted consumers: the newest of"
                + " every id wins and nothing is missing")
        void everyProducerCompactsItsOwnIds() throws Exception {
            run(new Scenario(List.of(true, true, true), 250, List.of(4, 1), 1, false, true));
        }
    }

    @Nested
    @DisplayName("The same with consumer groups of two members, restarted member by member")
    class Groups {

        @ContractTest
        @DisplayName("groups of two members on two connections, restarted one member at a time twice while a plain and"
                + " two compacting producers append: nothing acknowledged is missed, no key in two handlers at once")
        void groupsRestartedMemberByMember() throws Exception {
            run(new Scenario(List.of(false, true, true), 300, List.of(1, 4), 2, false, false, 2));
        }

        @ContractTest
        @DisplayName("groups that first start from the beginning while compaction runs, each compacting producer with"
                + " ids of its own, then restart member by member: the newest of every id wins and nothing is missed")
        void groupsStartWhileCompacting() throws Exception {
            run(new Scenario(List.of(true, false, true), 250, List.of(4, 1), 1, true, true, 2));
        }
    }

    @Nested
    @DisplayName("An append after compaction on another connection (the four-step sequence)")
    class FourSteps {
        private static final int A = 1;
        private static final int B = 2;

        /** What the live reader had seen before step 4, and the reader itself. */
        private record Seen(Consumer<Event> reader, Recorder<Event> recorder, List<Message<Event>> before,
                            Position positionBefore, Position xV2) {
        }

        /**
         * Steps 1 to 3: B appends b1; A appends x-v1 and x-v2 with logCompactId X; a named live
         * reader from the beginning, on a third connection, has seen b1 and x-v2 and caught up.
         */
        private Seen firstThreeSteps(Topic<Event> topic, Producer<Event> onB) {
            onB.appendAndWait("b", new Event("b", B, 1));
            Producer<Event> onA = connect().producer(topic);
            onA.appendAndWait(OutgoingMessage.of("x", new Event("x", A, 1)).withLogCompactId("X"));
            Position xV2 = onA.appendAndWait(OutgoingMessage.of("x", new Event("x", A, 2)).withLogCompactId("X"));
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> reader = startNamed(connect(), topic, "reader", 1, recorder);
            eventually(TIMEOUT).untilAsserted(() -> assertThat(recorder.payloads()).as("the reader has seen b1 and x-v2")
                    .contains(new Event("b", B, 1), new Event("x", A, 2)));
            eventually(TIMEOUT).untilAsserted(() -> assertThat(reader.lag()).as("lag of the caught-up reader").isZero());
            return new Seen(reader, recorder, recorder.handled(), reader.position().orElseThrow(), xV2);
        }

        /**
         * Step 4's check on the live reader: it receives {@code sent}, which the backend acknowledged
         * at {@code at}, above everything it saw before. Fails fast when the reader's lag drops to 0
         * without it.
         */
        private void liveReaderReceives(Seen seen, Event sent, Position at) {
            eventually(PROMPTLY).until(() -> seen.recorder().payloads().contains(sent) || seen.reader().lag() == 0);
            assertThat(seen.recorder().payloads()).as("the live reader received %s, acknowledged at %s (its lag is %d;"
                    + " it saw %s before)", sent, at, seen.reader().lag(), listed(seen.before())).contains(sent);
            Message<Event> received = seen.recorder().handled().stream().filter(m -> m.payload().equals(sent))
                    .findFirst().orElseThrow();
            assertThat(received.position()).as("position of %s as delivered", sent).isEqualTo(at);
            assertThat(seen.positionBefore().covers(at)).as("the reader's position before step 4, %s, already covers"
                    + " %s's position %s", seen.positionBefore(), sent, at).isFalse();
            for (Message<Event> earlier : seen.before()) {
                if (partitionOf(earlier.position()) == partitionOf(at)) {
                    assertThat(at.compareInPartition(earlier.position()))
                            .as("position %s of %s, above %s of %s seen before", at, sent, earlier.position(), earlier.payload())
                            .isPositive();
                }
            }
            eventually(TIMEOUT).untilAsserted(() -> assertThat(seen.reader().lag()).as("lag after step 4").isZero());
        }

        @ContractTest
        @DisplayName("b2, appended on B after A compacted X, reaches the live reader above all it saw, and a fresh"
                + " reader sees it after x-v2")
        void appendAfterCompactionElsewhere() {
            Topic<Event> topic = eventTopic("four-step");
            Producer<Event> onB = connect().producer(topic);
            Seen seen = firstThreeSteps(topic, onB);

            Event b2 = new Event("b", B, 2);
            Position at = onB.appendAndWait("b", b2);

            liveReaderReceives(seen, b2, at);
            List<Message<Event>> fresh = readAll(topic);
            List<Event> payloads = fresh.stream().map(Message::payload).toList();
            assertThat(payloads).as("a fresh reader from the beginning").contains(new Event("b", B, 1), new Event("x", A, 2), b2);
            assertThat(payloads.indexOf(b2)).as("b2 after b1 for a fresh reader: %s", listed(fresh))
                    .isGreaterThan(payloads.indexOf(new Event("b", B, 1)));
            if (partitionOf(at) == partitionOf(seen.xV2())) {
                assertThat(at.compareInPartition(seen.xV2())).as("b2's position %s after x-v2's %s", at, seen.xV2()).isPositive();
                assertThat(payloads.indexOf(b2)).as("b2 after x-v2 for a fresh reader: %s", listed(fresh))
                        .isGreaterThan(payloads.indexOf(new Event("x", A, 2)));
            }
        }

        @ContractTest
        @DisplayName("when B's second append carries logCompactId X, the live reader receives it and a fold from the"
                + " beginning ends on B's value, the newest")
        void newestFromOtherConnectionWinsTheFold() {
            Topic<Event> topic = eventTopic("four-step-fold");
            Producer<Event> onB = connect().producer(topic);
            Seen seen = firstThreeSteps(topic, onB);

            Event newest = new Event("x", B, 2);
            // the same sharding key as A's versions of X: an id travels with one key, so one partition
            Position at = onB.appendAndWait(OutgoingMessage.of("x", newest).withLogCompactId("X"));

            List<Message<Event>> fresh = readAll(topic);
            Map<String, Event> folded = new HashMap<>();
            fresh.forEach(message -> message.logCompactId().ifPresent(id -> folded.put(id, message.payload())));
            assertThat(folded).as("last value per logCompactId for a fresh reader from the beginning: %s", listed(fresh))
                    .containsExactly(Map.entry("X", newest));
            if (!has(Capability.LAZY_COMPACTION)) {
                assertThat(fresh).as("compaction is not lazy: only B's version of X is left").extracting(Message::payload)
                        .containsExactly(new Event("b", B, 1), newest);
            }
            assertThat(after(at, seen.xV2())).as("B's version of X at %s lies after x-v2 at %s", at, seen.xV2()).isTrue();
            liveReaderReceives(seen, newest, at);
        }
    }
}
