package io.streamable.client;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.consume.AssignmentChange;
import io.streamable.consume.AssignmentListener;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.MessageHandler;
import io.streamable.json.JsonCodecFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("The engine's side of a consumer group rebalance, against a fake member")
class RebalanceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Topic<String> TOPIC = Topic.of("orders", String.class);
    private static final int SLOTS = 4;
    private static final String IN_0 = FakeGroupStore.keyInSlot("k", 0, SLOTS);
    private static final String IN_1 = FakeGroupStore.keyInSlot("k", 1, SLOTS);
    private static final String IN_2 = FakeGroupStore.keyInSlot("k", 2, SLOTS);

    private final FakeGroupStore store = new FakeGroupStore(TOPIC.name(), SLOTS);
    private final DefaultStreamable streamable = new DefaultStreamable(new FakeGroupStore.FakeGroupBackend(store),
            JsonCodecFactory.defaults(), null, "fake-groups:", new Interceptors(List.of(), List.of()));
    private final List<CountDownLatch> gates = new ArrayList<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() {
        gates.forEach(gate -> {
            while (gate.getCount() > 0) {
                gate.countDown();
            }
        });
        streamable.close();
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    /** A handler that logs its start and end into the store's events, waiting on {@code gate} for payloads starting with "slow". */
    private MessageHandler<String> handler(CountDownLatch gate) {
        return message -> {
            String what = message.shardingKey() + "@" + message.position().offset();
            store.events.add("handle " + what);
            if (message.payload().startsWith("slow")) {
                assertThat(gate.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            }
            handled.add(what);
            store.events.add("handled " + what);
        };
    }

    private Consumer<String> start(CountDownLatch gate) {
        return streamable.consumer(TOPIC).name("group").concurrency(4).handler(handler(gate)).start();
    }

    /** Records each change in {@code changes} and as "assignment -revoked +assigned" in the store's events. */
    private AssignmentListener recordInto(List<AssignmentChange> changes) {
        return change -> {
            store.events.add("assignment -" + change.revoked() + " +" + change.assigned());
            changes.add(change);
        };
    }

    private Consumer<String> start(CountDownLatch gate, AssignmentListener listener) {
        return streamable.consumer(TOPIC).name("group").concurrency(4).handler(handler(gate))
                .onAssignmentChange(listener).start();
    }

    @Test
    @DisplayName("onAssignmentChange: the first share before its first message, a revoke after the drain and the commit, an assignment before its slot's first message, nothing for a change that changes nothing, all revoked after the final save")
    void assignmentChangesAfterTheyTakeEffect() {
        CountDownLatch gate = gate();
        List<AssignmentChange> changes = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = start(gate, recordInto(changes));
        Position first = store.append(IN_0, "fast");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + first.offset()));
        assertThat(changes).singleElement().satisfies(change -> {
            assertThat(change.previous()).isEmpty();
            assertThat(change.owned()).containsExactly(0, 1, 2, 3);
            assertThat(change.assigned()).containsExactly(0, 1, 2, 3);
            assertThat(change.revoked()).isEmpty();
            assertThat(change.topic()).isEqualTo(TOPIC.name());
            assertThat(change.consumerName()).isEqualTo("group");
            assertThat(change.memberId()).isEqualTo("m1");
            assertThat(change.slotCount()).isEqualTo(SLOTS);
        });
        assertThat(store.events).containsSubsequence("assignment -[] +[0, 1, 2, 3]", "handle " + IN_0 + "@" + first.offset());

        // a revoke while a message of the slot is in flight: told only once it is handled, saved and released
        Position slow = store.append(IN_1, "slow");
        await().atMost(TIMEOUT).until(() -> store.events.contains("handle " + IN_1 + "@" + slow.offset()));
        store.member().offer(Set.of(1), Set.of(), false);
        store.append(IN_2, "wakes the read");
        await().atMost(TIMEOUT).until(() -> store.events.contains("rebalance -[1] +[]"));
        assertThat(changes).as("not told while the slot is still draining").hasSize(1);
        gate.countDown();
        await().atMost(TIMEOUT).until(() -> changes.size() == 2);
        assertThat(store.events).containsSubsequence("rebalance -[1] +[]", "handled " + IN_1 + "@" + slow.offset(),
                "commit " + slow.offset() + " [0, 1, 2, 3]", "rebalanced", "assignment -[1] +[]");
        assertThat(changes.get(1).previous()).containsExactly(0, 1, 2, 3);
        assertThat(changes.get(1).owned()).containsExactly(0, 2, 3);
        assertThat(changes.get(1).owned()).isEqualTo(consumer.assignment().orElseThrow().slots());

        // a slot announced, then not taken (the group changed again): nothing changed, nothing told
        store.member().offerWithoutTaking(Set.of(1));
        Position woke = store.append(IN_0, "wakes the read again");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + woke.offset()));
        assertThat(store.events).contains("rebalance -[] +[1]");
        assertThat(changes).as("no change, no call").hasSize(2);
        assertThat(consumer.assignment().orElseThrow().slots()).containsExactly(0, 2, 3);

        // the slot comes back: told before its first message is handed to the handler
        Position back = store.append(IN_1, "b");
        store.member().offer(Set.of(), Set.of(1), true);
        store.append(IN_2, "wakes the read once more");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_1 + "@" + back.offset()));
        assertThat(changes).hasSize(3);
        assertThat(changes.get(2).assigned()).containsExactly(1);
        assertThat(changes.get(2).owned()).containsExactly(0, 1, 2, 3);
        assertThat(store.events).containsSubsequence("rebalanced", "assignment -[] +[1]", "handle " + IN_1 + "@" + back.offset());

        consumer.close();
        assertThat(changes).as("told when it stopped, before close() returned").hasSize(4);
        assertThat(changes.get(3).revoked()).containsExactly(0, 1, 2, 3);
        assertThat(changes.get(3).owned()).isEmpty();
        assertThat(List.copyOf(store.events)).as("the last change comes after the final save").last()
                .isEqualTo("assignment -[0, 1, 2, 3] +[]");
        assertThat(changes).extracting(AssignmentChange::at).isSorted();
    }

    @Test
    @DisplayName("an assignment listener that throws is logged and ignored: the consumer goes on delivering and is told of later changes")
    void throwingAssignmentListener() {
        CountDownLatch gate = gate();
        List<AssignmentChange> changes = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = start(gate, change -> {
            changes.add(change);
            throw new IllegalStateException("the user's listener fails");
        });
        Position first = store.append(IN_0, "a");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + first.offset()));
        store.member().offer(Set.of(2, 3), Set.of(), false);
        Position second = store.append(IN_0, "b");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + second.offset()));
        await().atMost(TIMEOUT).until(() -> changes.size() == 2);
        assertThat(changes.get(1).revoked()).containsExactly(2, 3);
        assertThat(consumer.isRunning()).isTrue();
        consumer.close();
        assertThat(consumer.stopped()).isCompleted();
        assertThat(changes).hasSize(3);
    }

    @Test
    @DisplayName("a fenced member is told it owns nothing any more once it stopped")
    void fencedMemberLosesItsSlots() {
        CountDownLatch gate = gate();
        List<AssignmentChange> changes = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = start(gate, recordInto(changes));
        Position first = store.append(IN_0, "a");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + first.offset()));
        store.member().fence();
        store.append(IN_0, "wakes the read");
        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(changes).hasSize(2);
        assertThat(changes.get(1).revoked()).containsExactly(0, 1, 2, 3);
        assertThat(changes.get(1).owned()).isEmpty();
    }

    @Test
    @DisplayName("a change that revokes waits for every message in flight, commits what they covered from inside the listener, then lets the slot go")
    void revokeDrainsAndCommits() {
        CountDownLatch gate = gate();
        Consumer<String> consumer = start(gate);
        store.append(IN_0, "fast");
        Position slow = store.append(IN_1, "slow");
        await().atMost(TIMEOUT).until(() -> store.events.contains("handle " + IN_1 + "@" + slow.offset()));

        store.member().offer(Set.of(1), Set.of(), false);
        store.append(IN_2, "wakes the read"); // the loop's next read runs the listener

        await().atMost(TIMEOUT).until(() -> store.events.stream().anyMatch(e -> e.startsWith("rebalance")));
        assertThat(store.member().settled()).as("the slot is not released while its message is in flight").isFalse();
        assertThat(store.events).doesNotContain("rebalanced");

        gate.countDown();
        await().atMost(TIMEOUT).until(() -> store.member().settled());
        List<String> events = List.copyOf(store.events);
        int listenerCalled = events.indexOf("rebalance -[1] +[]");
        int listenerReturned = events.indexOf("rebalanced");
        assertThat(events.subList(listenerCalled, listenerReturned))
                .as("inside the listener: the slow message finishes, then everything handled is committed for the slots owned before the change")
                .containsSubsequence("handled " + IN_1 + "@" + slow.offset(), "commit 1 [0, 1, 2, 3]");
        assertThat(store.committed(1)).isEqualTo(slow.offset());
        assertThat(consumer.assignment()).map(GroupAssignment::slots).contains(Set.of(0, 2, 3));
        assertThat(consumer.assignment()).map(GroupAssignment::memberId).contains("m1");
    }

    @Test
    @DisplayName("after a slot is gained behind the member's reads, positions restart lower: its records are delivered from its committed offset and the position saved covers them")
    void rewindRestartsTheTracker() {
        // the member first owns slots 0 and 2 only, as after an earlier rebalance
        CountDownLatch gate = gate();
        Consumer<String> consumer = start(gate);
        store.member().offer(Set.of(1, 3), Set.of(), false);
        store.append(IN_0, "a");
        await().atMost(TIMEOUT).until(() -> store.member().settled());
        List<Position> ofSlot1 = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ofSlot1.add(store.append(IN_1, "b" + i));
            store.append(IN_0, "c" + i);
        }
        Position last = store.append(IN_0, "last");
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_0 + "@" + last.offset()));
        await().atMost(TIMEOUT).until(() -> consumer.position().map(p -> p.offset() == last.offset()).orElse(false));
        assertThat(handled).as("slot 1 is not this member's yet").noneMatch(h -> h.startsWith(IN_1 + "@"));

        store.member().offer(Set.of(), Set.of(1), true);
        store.append(IN_2, "wakes the read");

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(handled)
                .containsAll(ofSlot1.stream().map(p -> IN_1 + "@" + p.offset()).toList()));
        assertThat(handled.stream().filter(h -> h.startsWith(IN_0 + "@"))).as("slot 0 delivered once").doesNotHaveDuplicates();
        assertThat(store.events).as("the rewind waited for nothing in flight and committed first")
                .containsSubsequence("rebalance -[] +[1]", "rebalanced", "handle " + IN_1 + "@" + ofSlot1.get(0).offset());
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(store.committed(1))
                .as("slot 1 saved up to its last record, from positions below the ones saved before")
                .isGreaterThanOrEqualTo(ofSlot1.get(4).offset()));
        assertThat(store.committed(0)).as("slot 0 never goes back").isGreaterThanOrEqualTo(last.offset());
        assertThat(consumer.assignment()).map(GroupAssignment::slots).contains(Set.of(0, 1, 2));
    }

    @Test
    @DisplayName("a change that only adds a slot of its own (no rewind, nothing revoked) does not wait for the messages in flight")
    void plainAssignmentDoesNotWait() {
        CountDownLatch gate = gate();
        start(gate);
        store.member().offer(Set.of(3), Set.of(), false);
        store.append(IN_0, "x");
        await().atMost(TIMEOUT).until(() -> store.member().settled());
        Position slow = store.append(IN_1, "slow");
        await().atMost(TIMEOUT).until(() -> store.events.contains("handle " + IN_1 + "@" + slow.offset()));

        store.member().offer(Set.of(), Set.of(3), false);
        store.append(IN_2, "wakes the read");

        await().atMost(TIMEOUT).until(() -> store.member().settled());
        assertThat(handled).as("the slow message is still running").doesNotContain(IN_1 + "@" + slow.offset());
        await().atMost(TIMEOUT).until(() -> handled.contains(IN_2 + "@" + (slow.offset() + 1)));
        gate.countDown();
    }

    @Test
    @DisplayName("a fencing of the commit inside the listener stops the consumer with ConsumerFencedException")
    void fencedDuringRebalance() {
        CountDownLatch gate = gate();
        Consumer<String> consumer = start(gate);
        Position slow = store.append(IN_1, "slow");
        await().atMost(TIMEOUT).until(() -> store.events.contains("handle " + IN_1 + "@" + slow.offset()));
        store.member().offer(Set.of(1), Set.of(), false);
        store.append(IN_2, "wakes the read");
        await().atMost(TIMEOUT).until(() -> store.events.stream().anyMatch(e -> e.startsWith("rebalance")));

        store.member().fence();
        gate.countDown();

        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(consumer.stopped()).isCompletedExceptionally();
        assertThat(consumer.stopped().handle((ok, failure) -> failure).join()).isInstanceOf(ConsumerFencedException.class);
        assertThat(store.committed(1)).as("nothing committed once fenced").isEqualTo(-1);
    }

    @Test
    @DisplayName("close() while a rebalance waits for a message in flight: the close finishes, and the message's slot is saved")
    void closeDuringDrain() {
        CountDownLatch gate = gate();
        Consumer<String> consumer = start(gate);
        Position slow = store.append(IN_1, "slow");
        await().atMost(TIMEOUT).until(() -> store.events.contains("handle " + IN_1 + "@" + slow.offset()));
        store.member().offer(Set.of(1), Set.of(), false);
        store.append(IN_2, "wakes the read");
        await().atMost(TIMEOUT).until(() -> store.events.stream().anyMatch(e -> e.startsWith("rebalance")));

        Thread closer = new Thread(consumer::close);
        closer.start();
        gate.countDown();

        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(consumer.stopped()).isCompleted();
        assertThat(store.committed(1)).isEqualTo(slow.offset());
    }

    @Test
    @DisplayName("lag() counts only the member's own slots")
    void lagOfOwnSlots() {
        CountDownLatch gate = gate();
        Consumer<String> consumer = start(gate);
        store.member().offer(Set.of(1, 2, 3), Set.of(), false);
        store.append(IN_0, "x");
        await().atMost(TIMEOUT).until(() -> store.member().settled());
        await().atMost(TIMEOUT).until(() -> consumer.lag() == 0);
        store.append(IN_1, "not mine");
        store.append(IN_2, "not mine either");

        assertThat(consumer.lag()).isZero();
        gate.countDown();
    }
}
