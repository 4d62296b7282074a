package io.streamable.tck;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.AssignmentChange;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.MessageHandler;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The consumer group contract: named consumers that share a name on one topic split its sharding
 * keys, on a backend whose stores implement {@link io.streamable.backend.ConsumerGroups}. Extend
 * it like {@link BackendContractTest}, with a fixture that also implements
 * {@link BackendFixture#suspendOwnership(Streamable)} and opens connections with a lease of a few
 * seconds:
 *
 * <pre>{@code
 * class InMemoryConsumerGroupTest extends ConsumerGroupContractTest {
 *     protected BackendFixture fixture() {
 *         return new BackendFixture() {
 *             public Streamable open() { return Streamable.open("memory:groups?leaseTtl=3s"); }
 *             public void suspendOwnership(Streamable connection) { ... the backend's test hook ... }
 *         };
 *     }
 * }
 * }</pre>
 *
 * <p>Every member runs on a connection of its own, so pausing one pauses that member only. The
 * oracle, checked on every test that moves messages: no sharding key is ever in two handlers of
 * live members at once; each member receives each key's messages in the order they were produced;
 * every acknowledged message is handled; a message is handled twice only if a member that was
 * paused past its lease handled it (its uncommitted window); after members leave or die, every
 * slot is owned again and the live members' shares are within one slot of each other.
 *
 * <p>Kill -9 and SIGSTOP of child JVMs belong to {@code streamable-faults}; here a paused process
 * is acted by {@link BackendFixture#suspendOwnership(Streamable)} (its lease is no longer renewed)
 * plus a gate that blocks its handlers (a paused process runs none).
 */
public abstract class ConsumerGroupContractTest {
    /** The longest any single wait may take before a test fails: generous, for loaded CI machines. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How soon the slots of a member that closed are owned again: the contract says 1 s; loaded machines get slack. */
    protected static final Duration AFTER_GRACEFUL_LEAVE = Duration.ofSeconds(1);
    private static final Duration LOAD_SLACK = Duration.ofSeconds(4);
    private static final String GROUP = "workers";

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
    // Helpers
    // ---------------------------------------------------------------------------------------------

    private static Topic<Event> topic(String purpose) {
        return Topic.of("tck-group-" + purpose + "-" + UUID.randomUUID(), Event.class);
    }

    private static ConditionFactory eventually() {
        return Awaitility.await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    /** One instance of the group's consumer, on a connection of its own. */
    private final class Member {
        final String id;
        final Streamable connection;
        final Consumer<Event> consumer;
        /** Closed while the member acts as a paused process: its handlers wait on it. */
        volatile CountDownLatch pause;
        /** What {@code onAssignmentChange} told this member, in order. */
        final List<AssignmentChange> changes = new CopyOnWriteArrayList<>();

        Member(String id, Topic<Event> topic, Oracle oracle) {
            this.id = id;
            this.connection = resources.connect();
            this.consumer = resources.track(connection.consumer(topic).name(GROUP).startFrom(StartFrom.beginning())
                    .concurrency(3).handler(oracle.handler(this)).onAssignmentChange(changes::add).start());
        }

        /** The slots the last change told of says this member owns; empty before the first. */
        Set<Integer> told() {
            return changes.isEmpty() ? Set.of() : changes.get(changes.size() - 1).owned();
        }

        Set<Integer> slots() {
            return consumer.assignment().map(GroupAssignment::slots).orElseThrow(() -> new AssertionError(
                    "Consumer.assignment() is empty for a named consumer: the backend's stores must implement"
                            + " io.streamable.backend.ConsumerGroups to run this suite"));
        }

        int slotCount() {
            return consumer.assignment().orElseThrow().slotCount();
        }

        /** Acts as a paused process: its handlers stop, then its lease stops being renewed. */
        void pause() {
            pause = gate();
            resources.fixture().suspendOwnership(connection);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** What every member handled, and the checks that need to see all members at once. */
    private static final class Oracle {
        private final Map<String, Member> inHandler = new ConcurrentHashMap<>();
        private final Set<Member> paused = ConcurrentHashMap.newKeySet();
        private final List<String> violations = new CopyOnWriteArrayList<>();
        private final List<Handled> handled = new ArrayList<>();

        record Handled(Member member, String key, int seq, boolean whilePaused) {
        }

        MessageHandler<Event> handler(Member member) {
            return message -> {
                CountDownLatch pause = member.pause;
                if (pause != null) {
                    pause.await(); // a paused process: released when the test ends or decides
                }
                // a handler that passed before the gate closed ran while the member was still the owner (it
                // may have been saved, and the next owner go on after it): only one that waited is stale
                boolean memberPaused = pause != null;
                String key = message.shardingKey();
                if (!memberPaused) {
                    Member other = inHandler.put(key, member);
                    if (other != null && other != member && !paused.contains(other)) {
                        violations.add("key " + key + " was in handlers of " + other + " and " + member + " at once");
                    }
                }
                record(member, message, memberPaused);
                if (!memberPaused) {
                    inHandler.remove(key, member);
                }
            };
        }

        private synchronized void record(Member member, Message<Event> message, boolean whilePaused) {
            handled.add(new Handled(member, message.shardingKey(), message.payload().seq(), whilePaused));
        }

        void paused(Member member) {
            paused.add(member);
        }

        synchronized List<Handled> handled() {
            return List.copyOf(handled);
        }

        /** The acknowledged "key#seq" not handled yet, sorted. */
        Set<String> missing(Set<String> acked) {
            Set<String> handledIds;
            synchronized (this) {
                handledIds = handled.stream().map(h -> h.key() + "#" + h.seq()).collect(Collectors.toSet());
            }
            Set<String> missing = new TreeSet<>(acked);
            missing.removeAll(handledIds);
            return missing;
        }

        synchronized int count(Member member) {
            return (int) handled.stream().filter(h -> h.member() == member).count();
        }

        /** Checks everything that can be checked from what was handled; {@code acked} is every acknowledged "key#seq". */
        void check(Set<String> acked) {
            assertThat(violations).as("no key in two live members' handlers at once").isEmpty();
            List<Handled> all = handled();
            assertThat(missing(acked)).as("acknowledged messages not handled").isEmpty();
            Map<String, Map<Member, Integer>> lastByKeyAndMember = new HashMap<>();
            Map<String, Integer> highestByKey = new HashMap<>();
            Map<String, List<Member>> handlersById = new LinkedHashMap<>();
            for (Handled h : all) {
                Integer last = lastByKeyAndMember.computeIfAbsent(h.key(), k -> new HashMap<>()).put(h.member(), h.seq());
                assertThat(last == null || last < h.seq()).as("member %s handles key %s in order: seq %s after %s",
                        h.member(), h.key(), h.seq(), last).isTrue();
                if (!h.whilePaused()) {
                    int highest = highestByKey.getOrDefault(h.key(), 0);
                    assertThat(h.seq()).as("key %s: seq %s handled before seq %s (a message skipped or reordered)",
                            h.key(), h.seq(), highest + 1).isLessThanOrEqualTo(highest + 1);
                    highestByKey.put(h.key(), Math.max(highest, h.seq()));
                }
                handlersById.computeIfAbsent(h.key() + "#" + h.seq(), id -> new ArrayList<>()).add(h.member());
            }
            handlersById.forEach((id, members) -> {
                if (members.size() > 1) {
                    assertThat(members).as("%s was handled %s times (by %s): only a paused member's uncommitted"
                            + " window may be handled again", id, members.size(), members).anyMatch(paused::contains);
                }
            });
        }
    }

    /** Appends (key, seq) over {@code keys} keys, in batches, until stopped; records what was acknowledged. */
    private static final class Traffic implements AutoCloseable {
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Future<?> running;

        Traffic(Producer<Event> producer, int keys, ExecutorService thread) {
            running = thread.submit(() -> {
                int seq = 0;
                while (!stop.get()) {
                    seq++;
                    int round = seq;
                    List<OutgoingMessage<Event>> batch = IntStream.range(0, keys)
                            .mapToObj(key -> OutgoingMessage.of("key-" + key, Event.of("key-" + key, round))).toList();
                    producer.appendAllAndWait(batch);
                    batch.forEach(message -> acked.add(message.shardingKey() + "#" + round));
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // pacing, not synchronisation
                }
                return null;
            });
        }

        /** Waits until at least {@code count} messages are acknowledged. */
        void awaitAcked(int count) {
            eventually().untilAsserted(() -> assertThat(acked.size()).as("acknowledged appends").isGreaterThanOrEqualTo(count));
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            running.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Waits until {@code member} has handled at least one message. */
    private static void awaitHandledBy(Oracle oracle, Member member) {
        eventually().untilAsserted(() -> assertThat(oracle.handled()).as("messages handled by " + member)
                .anyMatch(handled -> handled.member() == member));
    }

    /** Waits until the live members' shares are disjoint, cover every slot, and are within one slot of each other. */
    private static void awaitBalanced(List<Member> live) {
        eventually().untilAsserted(() -> assertBalanced(live));
    }

    private static boolean isBalanced(List<Member> live) {
        try {
            assertBalanced(live);
            return true;
        } catch (AssertionError notYet) {
            return false;
        }
    }

    private static void assertBalanced(List<Member> live) {
        int slotCount = live.get(0).slotCount();
        List<Set<Integer>> shares = live.stream().map(Member::slots).toList();
        Set<Integer> union = new TreeSet<>();
        shares.forEach(union::addAll);
        assertThat(shares.stream().mapToInt(Set::size).sum()).as("shares %s are disjoint", shares).isEqualTo(union.size());
        assertThat(union).as("every slot owned by one of %s: %s", live, shares).hasSize(slotCount);
        int fewest = shares.stream().mapToInt(Set::size).min().orElseThrow();
        int most = shares.stream().mapToInt(Set::size).max().orElseThrow();
        assertThat(most - fewest).as("shares %s within one slot of each other", shares).isLessThanOrEqualTo(1);
    }

    /** The group's state as the backend describes it, and the members' shares, for failure messages. */
    private static String describe(Streamable observer, Topic<Event> topic, List<Member> live) {
        String shares = live.stream().map(member -> member.id + "=" + member.consumer.assignment()
                .map(a -> a.memberId() + a.slots()).orElse("-")).collect(Collectors.joining(", "));
        if (observer.backend().topic(topic.name()) instanceof io.streamable.backend.ConsumerGroups groups) {
            return shares + "; " + groups.describeGroup(GROUP).map(Object::toString).orElse("no group");
        }
        return shares;
    }

    /** Who owns each slot now. */
    private static Map<Integer, Member> owners(List<Member> live) {
        Map<Integer, Member> owners = new HashMap<>();
        live.forEach(member -> member.slots().forEach(slot -> owners.put(slot, member)));
        return owners;
    }

    // ---------------------------------------------------------------------------------------------
    // The tests
    // ---------------------------------------------------------------------------------------------

    /** Who owns what as members come and go. */
    @Nested
    @DisplayName("Membership")
    class Membership {

        @ContractTest
        @DisplayName("one member owns every slot; a second and a third split them evenly, sticky: the first keeps part of its own")
        void splitEvenly() {
            Topic<Event> topic = topic("split");
            Oracle oracle = new Oracle();
            Member first = new Member("first", topic, oracle);
            eventually().untilAsserted(() -> assertThat(first.slots()).hasSize(first.slotCount()));
            Set<Integer> before = first.slots();

            Member second = new Member("second", topic, oracle);
            Member third = new Member("third", topic, oracle);

            awaitBalanced(List.of(first, second, third));
            assertThat(before).as("the first member keeps slots it had").containsAll(first.slots());
        }

        @ContractTest
        @DisplayName("onAssignmentChange: once a second member joined, the slots both were told they own cover every slot exactly once, as assignment() says, each member's changes chaining from nothing")
        void assignmentChangesCoverEverySlotOnce() {
            Topic<Event> topic = topic("told");
            Oracle oracle = new Oracle();
            Member first = new Member("first", topic, oracle);
            int slotCount = first.slotCount();
            eventually().untilAsserted(() -> assertThat(first.told()).as("first, alone, told it owns every slot")
                    .hasSize(slotCount));

            long joined = System.nanoTime();
            Member second = new Member("second", topic, oracle);
            AtomicBoolean assignmentBalanced = new AtomicBoolean();
            long[] balancedAfter = new long[1];
            eventually().untilAsserted(() -> {
                if (!assignmentBalanced.get() && isBalanced(List.of(first, second))) {
                    assignmentBalanced.set(true);
                    balancedAfter[0] = System.nanoTime() - joined;
                }
                Set<Integer> ofFirst = first.told();
                Set<Integer> ofSecond = second.told();
                Set<Integer> twice = new TreeSet<>(ofFirst);
                twice.retainAll(ofSecond);
                Set<Integer> union = new TreeSet<>(ofFirst);
                union.addAll(ofSecond);
                assertThat(ofFirst).as("first was told it owns some").isNotEmpty();
                assertThat(ofSecond).as("second was told it owns some").isNotEmpty();
                assertThat(twice).as("slots both were told they own: %s and %s", ofFirst, ofSecond).isEmpty();
                assertThat(union).as("every slot told to one of them: %s and %s", ofFirst, ofSecond).hasSize(slotCount);
                assertThat(ofFirst).as("first: told = assignment()").isEqualTo(first.slots());
                assertThat(ofSecond).as("second: told = assignment()").isEqualTo(second.slots());
            });
            System.out.println("GROUPS second member joined: shares balanced in assignment() after "
                    + (assignmentBalanced.get() ? balancedAfter[0] / 1_000_000 + " ms" : "(not seen before the hooks)")
                    + ", both told after " + (System.nanoTime() - joined) / 1_000_000 + " ms");

            for (Member member : List.of(first, second)) {
                Set<Integer> owned = Set.of();
                for (AssignmentChange change : member.changes) {
                    assertThat(change.previous()).as("%s: a change starts where the one before it ended", member)
                            .isEqualTo(owned);
                    assertThat(change.memberId()).isEqualTo(member.consumer.assignment().orElseThrow().memberId());
                    assertThat(change.consumerName()).isEqualTo(GROUP);
                    assertThat(change.topic()).isEqualTo(topic.name());
                    owned = change.owned();
                }
            }
            assertThat(first.changes.get(0).previous()).isEmpty();
            assertThat(second.changes.get(0).previous()).isEmpty();
        }

        @ContractTest
        @DisplayName("more members than slots: the extras own nothing and run without errors, and take over when a member leaves")
        void moreMembersThanSlots() {
            Topic<Event> topic = topic("extras");
            Oracle oracle = new Oracle();
            Member first = new Member("m0", topic, oracle);
            int slotCount = first.slotCount();
            List<Member> members = new ArrayList<>(List.of(first));
            for (int i = 1; i < slotCount + 2; i++) {
                members.add(new Member("m" + i, topic, oracle));
            }
            eventually().untilAsserted(() -> {
                assertBalanced(members);
                assertThat(members.stream().filter(member -> member.slots().isEmpty()).count())
                        .as("idle members").isEqualTo(2);
            });
            assertThat(members).allSatisfy(member -> assertThat(member.consumer.isRunning()).isTrue());

            Member leaving = members.stream().filter(member -> !member.slots().isEmpty()).findFirst().orElseThrow();
            leaving.consumer.close();
            members.remove(leaving);
            awaitBalanced(members);
            assertThat(leaving.consumer.stopped()).isCompleted();
            assertThat(members).allSatisfy(member -> assertThat(member.consumer.isRunning()).isTrue());
        }

        @ContractTest
        @DisplayName("a consumer that joins beside a paused holder is caught up only once it took the holder's slots and handled what they hold")
        void caughtUpOnlyWithItsShare() throws Exception {
            Topic<Event> topic = topic("successor");
            Oracle oracle = new Oracle();
            Member holder = new Member("holder", topic, oracle);
            eventually().untilAsserted(() -> assertThat(holder.slots()).hasSize(holder.slotCount()));
            oracle.paused(holder);
            holder.pause(); // a crashed process: its lease is not renewed and it handles nothing more
            Producer<Event> producer = resources.connect().producer(topic);
            Set<String> acked = new HashSet<>();
            for (int round = 1; round <= 5; round++) {
                int seq = round;
                List<OutgoingMessage<Event>> batch = IntStream.range(0, 12)
                        .mapToObj(key -> OutgoingMessage.of("key-" + key, Event.of("key-" + key, seq))).toList();
                producer.appendAllAndWait(batch);
                batch.forEach(message -> acked.add(message.shardingKey() + "#" + seq));
            }

            Member successor = new Member("successor", topic, oracle);
            successor.consumer.awaitCaughtUp(TIMEOUT);

            Set<String> handledBySuccessor = new HashSet<>();
            oracle.handled().stream().filter(handled -> handled.member() == successor)
                    .forEach(handled -> handledBySuccessor.add(handled.key() + "#" + handled.seq()));
            assertThat(handledBySuccessor).as("what the successor handled when it said it was caught up")
                    .containsAll(acked);
            assertThat(successor.slots()).as("the successor owns the paused holder's slots").hasSize(successor.slotCount());
        }

        @ContractTest
        @DisplayName("after a graceful leave every slot is owned again within a second")
        void gracefulLeaveReassignsPromptly() {
            Topic<Event> topic = topic("leave");
            Oracle oracle = new Oracle();
            List<Member> members = new ArrayList<>(List.of(new Member("a", topic, oracle), new Member("b", topic, oracle),
                    new Member("c", topic, oracle)));
            awaitBalanced(members);

            Member leaving = members.remove(1);
            long closed = System.nanoTime();
            leaving.consumer.close();
            awaitBalanced(members);
            Duration took = Duration.ofNanos(System.nanoTime() - closed);
            System.out.println("GROUPS graceful leave: every slot owned again after " + took.toMillis() + " ms");

            assertThat(took).as("slots owned again after a graceful leave (the contract: %s; slack for loaded machines"
                    + " on top)", AFTER_GRACEFUL_LEAVE).isLessThanOrEqualTo(AFTER_GRACEFUL_LEAVE.plus(LOAD_SLACK));
        }

        @ContractTest
        @DisplayName("a rolling restart of three members moves about a third of the slots per step, not all of them")
        void rollingRestart() {
            Topic<Event> topic = topic("rolling");
            Oracle oracle = new Oracle();
            List<Member> members = new ArrayList<>(List.of(new Member("a", topic, oracle), new Member("b", topic, oracle),
                    new Member("c", topic, oracle)));
            awaitBalanced(members);
            int slotCount = members.get(0).slotCount();
            int allowed = (slotCount + 2) / 3 + 1;

            for (int step = 0; step < 3; step++) {
                Map<Integer, Member> before = owners(members);
                Member old = members.remove(0);
                // the replacement starts, then the old instance stops: both inside the backend's debounce
                members.add(new Member(old.id + "'", topic, oracle));
                old.consumer.close();
                awaitBalanced(members);
                Map<Integer, Member> after = owners(members);
                long moved = IntStream.range(0, slotCount).filter(slot -> before.get(slot) != after.get(slot)).count();
                assertThat(moved).as("slots that moved when %s was replaced (%s slots, 3 members)", old, slotCount)
                        .isLessThanOrEqualTo(allowed);
            }
        }
    }

    /** The oracle while messages flow and members come, go and pause. */
    @Nested
    @DisplayName("Delivery")
    class Delivery {

        @ContractTest
        @DisplayName("two members each handle part of the keys, every message once, each key in order")
        void shareWithoutDuplicates() throws Exception {
            Topic<Event> topic = topic("share");
            Oracle oracle = new Oracle();
            Producer<Event> producer = resources.connect().producer(topic);
            Member a = new Member("a", topic, oracle);
            Member b = new Member("b", topic, oracle);
            awaitBalanced(List.of(a, b));

            try (Traffic traffic = new Traffic(producer, 40, resources.threads(1))) {
                traffic.awaitAcked(2_000);
                traffic.close();
                eventually().pollInterval(Duration.ofMillis(100))
                        .untilAsserted(() -> assertThat(oracle.missing(traffic.acked)).as("not handled").isEmpty());
                oracle.check(traffic.acked);
                assertThat(oracle.handled()).as("nothing handled twice").hasSize(traffic.acked.size());
            }
            assertThat(oracle.count(a)).as("a's share").isGreaterThan(0);
            assertThat(oracle.count(b)).as("b's share").isGreaterThan(0);
        }

        @ContractTest
        @DisplayName("members join, leave gracefully and one is paused past its lease while messages flow: nothing lost, order kept, duplicates only from the paused member")
        void churn() throws Exception {
            Topic<Event> topic = topic("churn");
            Oracle oracle = new Oracle();
            Producer<Event> producer = resources.connect().producer(topic);
            List<Member> live = new ArrayList<>();
            try (Traffic traffic = new Traffic(producer, 40, resources.threads(1))) {
                Member a = new Member("a", topic, oracle);
                live.add(a);
                traffic.awaitAcked(400);
                Member b = new Member("b", topic, oracle);
                live.add(b);
                Member c = new Member("c", topic, oracle);
                live.add(c);
                awaitBalanced(live);
                traffic.awaitAcked(1_200);
                // b must have delivered from its slots before it leaves, or the last check below has nothing to see
                awaitHandledBy(oracle, b);

                b.consumer.close(); // a graceful leave: its slots move after it drained and committed
                live.remove(b);
                awaitBalanced(live);
                Member d = new Member("d", topic, oracle);
                live.add(d);
                awaitBalanced(live);
                traffic.awaitAcked(2_400);
                awaitHandledBy(oracle, c);

                oracle.paused(c);
                c.pause(); // its slots move once its lease expired; it is fenced
                live.remove(c);
                awaitBalanced(live);
                traffic.awaitAcked(traffic.acked.size() + 400);
                traffic.close();

                Streamable observer = resources.connect();
                eventually().pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertThat(oracle.missing(traffic.acked))
                        .as(() -> "acknowledged messages not handled; the group now: " + describe(observer, topic, live))
                        .isEmpty());
                c.pause.countDown(); // the paused process resumes: it finds itself fenced
                Optional<Throwable> stop = Optional.ofNullable(Awaitility.await().atMost(TIMEOUT)
                        .until(() -> c.consumer.stopped().isDone() ? c.consumer.stopped().handle((ok, e) -> e).join() : null,
                                java.util.Objects::nonNull));
                assertThat(stop).as("the paused member stopped as fenced")
                        .hasValueSatisfying(e -> assertThat(e).isInstanceOf(ConsumerFencedException.class));
                oracle.check(traffic.acked);
            }
            assertThat(live).allSatisfy(member -> assertThat(member.consumer.isRunning()).isTrue());
            Set<Member> handlers = new HashSet<>();
            oracle.handled().forEach(h -> handlers.add(h.member()));
            assertThat(handlers).as("every member handled part of the work").hasSize(4);
        }
    }
}
