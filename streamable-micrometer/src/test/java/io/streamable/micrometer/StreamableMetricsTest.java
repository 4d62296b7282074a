package io.streamable.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamable.Retention;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.AssignmentChange;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.RetentionGap;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@DisplayName("Micrometer metrics on memory:")
class StreamableMetricsTest {
    private static final Topic<Integer> NUMBERS = Topic.of("numbers", Integer.class);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final StreamableMetrics metrics = StreamableMetrics.using(registry);
    private final Streamable streamable = Streamable.open("memory:");

    @AfterEach
    void close() {
        streamable.close();
    }

    private double counter(String name, String... tags) {
        var counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    @DisplayName("counts appended messages, single and batched")
    void produced() {
        Producer<Integer> producer = metrics.producer(streamable, NUMBERS);
        producer.appendAndWait("k", 1);
        producer.appendAndWait("k", 2);
        producer.appendAllAndWait(List.of(OutgoingMessage.of("k", 3), OutgoingMessage.of("k", 4)));
        assertThat(counter(StreamableMetrics.PRODUCED, "topic", "numbers", "result", "success")).isEqualTo(4);
        assertThat(counter(StreamableMetrics.PRODUCED, "topic", "numbers", "result", "failure")).isZero();
    }

    @Test
    @DisplayName("counts refused appends as failures")
    void produceFailure() {
        Producer<Integer> producer = metrics.producer(streamable, NUMBERS);
        producer.appendAndWait("k", 1);
        streamable.close();
        assertThatThrownBy(() -> producer.append("k", 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> producer.appendAll(List.of(OutgoingMessage.of("k", 3), OutgoingMessage.of("k", 4))))
                .isInstanceOf(IllegalStateException.class);
        assertThat(counter(StreamableMetrics.PRODUCED, "topic", "numbers", "result", "success")).isEqualTo(1);
        assertThat(counter(StreamableMetrics.PRODUCED, "topic", "numbers", "result", "failure")).isEqualTo(3);
    }

    @Test
    @DisplayName("records consumed count, handler time per attempt, reported failures, and the listener still runs")
    void consumed() throws InterruptedException {
        Producer<Integer> producer = streamable.producer(NUMBERS);
        for (int i = 1; i <= 5; i++) {
            producer.appendAndWait("k", i);
        }
        List<ConsumerFailure> reported = new CopyOnWriteArrayList<>();
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Integer> consumer = metrics.consumer(streamable, NUMBERS)
                .name("billing")
                .handler(message -> {
                    if (message.payload() == 3) {
                        throw new IllegalArgumentException("three is bad");
                    }
                })
                .failurePolicy(FailurePolicy.retry(2).withBackoff(Duration.ofMillis(1), Duration.ofMillis(1)).thenSkip())
                .onFailure(reported::add)
                .onCaughtUp(caughtUp::countDown)
                .start()) {
            assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(counter(StreamableMetrics.CONSUMED, "topic", "numbers", "consumer", "billing")).isEqualTo(4);
        var success = registry.find(StreamableMetrics.HANDLER).tags("consumer", "billing", "result", "success").timer();
        var failure = registry.find(StreamableMetrics.HANDLER).tags("consumer", "billing", "result", "failure").timer();
        assertThat(success.count()).isEqualTo(4);
        assertThat(failure.count()).isEqualTo(2);
        assertThat(success.totalTime(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(counter(StreamableMetrics.FAILURES, "consumer", "billing", "outcome", "SKIPPED")).isEqualTo(1);
        assertThat(reported).singleElement().extracting(ConsumerFailure::outcome)
                .isEqualTo(ConsumerFailure.Outcome.SKIPPED);
    }

    @Test
    @DisplayName("a named consumer's lag is a gauge, falling to 0 when caught up and removed when it stops")
    void lag() throws InterruptedException {
        Producer<Integer> producer = streamable.producer(NUMBERS);
        for (int i = 1; i <= 5; i++) {
            producer.appendAndWait("k", i);
        }
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Consumer<Integer> consumer = metrics.consumer(streamable, NUMBERS)
                .name("slow")
                .handler(message -> {
                    inFirst.countDown();
                    release.await();
                })
                .start();
        assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
        var gauge = registry.find(StreamableMetrics.LAG).tags("topic", "numbers", "consumer", "slow").gauge();
        assertThat(gauge).isNotNull();
        // nothing is acknowledged while the first message is in the handler
        assertThat(gauge.value()).isEqualTo(5);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge.value() == 0);
        consumer.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.find(StreamableMetrics.LAG).gauge() == null);
    }

    @Test
    @DisplayName("members of one consumer group in one process: a lag and a slots gauge each, tagged with the member, the slots adding up to the group's")
    void groupMembers() {
        Consumer<Integer> first = metrics.consumer(streamable, NUMBERS).name("pair").handler(message -> { }).start();
        Consumer<Integer> second = metrics.consumer(streamable, NUMBERS).name("pair").handler(message -> { }).start();
        int slotCount = first.assignment().orElseThrow().slotCount();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            var slots = registry.find(StreamableMetrics.SLOTS).tags("consumer", "pair").gauges();
            assertThat(slots).hasSize(2);
            assertThat(slots.stream().mapToDouble(gauge -> gauge.value()).sum()).isEqualTo(slotCount);
            assertThat(slots).allSatisfy(gauge -> assertThat(gauge.value()).isPositive());
        });
        assertThat(registry.find(StreamableMetrics.LAG).tags("consumer", "pair").gauges()).hasSize(2)
                .extracting(gauge -> gauge.getId().getTag("member"))
                .containsExactlyInAnyOrder(first.assignment().orElseThrow().memberId(),
                        second.assignment().orElseThrow().memberId());
        second.close();
        await().atMost(Duration.ofSeconds(10)).until(() ->
                registry.find(StreamableMetrics.SLOTS).tags("consumer", "pair").gauges().size() == 1);
        first.close();
    }

    /** Checks that {@code changes} chain (each starts where the one before ended, from nothing) and end at {@code owned}. */
    private static void assertChain(List<AssignmentChange> changes, Set<Integer> owned) {
        Set<Integer> before = Set.of();
        for (AssignmentChange change : changes) {
            assertThat(change.previous()).as("a change starts where the one before it ended").isEqualTo(before);
            Set<Integer> expected = new HashSet<>(before);
            expected.removeAll(change.revoked());
            expected.addAll(change.assigned());
            assertThat(change.owned()).as("owned = previous - revoked + assigned").isEqualTo(expected);
            before = change.owned();
        }
        assertThat(before).as("the last change reported ends at what the member owns").isEqualTo(owned);
    }

    @Test
    @DisplayName("a second member joins a group: the rebalance counter goes up with every change each member is told of, and the changes add up to the owned sets")
    void rebalancesCounted() {
        List<AssignmentChange> ofFirst = new CopyOnWriteArrayList<>();
        List<AssignmentChange> ofSecond = new CopyOnWriteArrayList<>();
        Consumer<Integer> first = metrics.consumer(streamable, NUMBERS).name("pair").onAssignmentChange(ofFirst::add)
                .handler(message -> { }).start();
        int slotCount = first.assignment().orElseThrow().slotCount();
        await().atMost(Duration.ofSeconds(10)).until(() -> ofFirst.size() == 1);
        assertThat(ofFirst.get(0).owned()).as("alone, the first member owns every slot").hasSize(slotCount);
        assertThat(ofFirst.get(0).previous()).isEmpty();
        assertThat(counter(StreamableMetrics.REBALANCES, "topic", "numbers", "consumer", "pair")).isEqualTo(1);

        Consumer<Integer> second = metrics.consumer(streamable, NUMBERS).name("pair").onAssignmentChange(ofSecond::add)
                .handler(message -> { }).start();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Set<Integer> firstOwns = first.assignment().orElseThrow().slots();
            Set<Integer> secondOwns = second.assignment().orElseThrow().slots();
            assertThat(firstOwns).isNotEmpty();
            assertThat(secondOwns).isNotEmpty();
            Set<Integer> union = new HashSet<>(firstOwns);
            union.addAll(secondOwns);
            assertThat(union).as("every slot owned").hasSize(slotCount);
            assertThat(firstOwns.size() + secondOwns.size()).as("no slot owned twice").isEqualTo(slotCount);
            assertChain(ofFirst, firstOwns);
            assertChain(ofSecond, secondOwns);
        });
        assertThat(ofFirst.size()).as("the first member was told it gave slots up").isGreaterThanOrEqualTo(2);
        Set<Integer> revokedFromFirst = new HashSet<>();
        ofFirst.forEach(change -> revokedFromFirst.addAll(change.revoked()));
        assertThat(revokedFromFirst).as("what the first gave up is what the second owns")
                .isEqualTo(second.assignment().orElseThrow().slots());
        assertThat(ofSecond).allSatisfy(change -> assertThat(change.memberId())
                .isEqualTo(second.assignment().orElseThrow().memberId()));
        assertThat(counter(StreamableMetrics.REBALANCES, "topic", "numbers", "consumer", "pair"))
                .as("one count per change told, of both members").isEqualTo(ofFirst.size() + ofSecond.size());

        second.close();
        first.close();
        assertThat(ofSecond.get(ofSecond.size() - 1).owned()).as("a member that stopped owns nothing").isEmpty();
        assertThat(ofFirst.get(ofFirst.size() - 1).owned()).isEmpty();
        assertThat(counter(StreamableMetrics.REBALANCES, "topic", "numbers", "consumer", "pair"))
                .isEqualTo(ofFirst.size() + ofSecond.size());
    }

    @Test
    @DisplayName("anonymous consumers are tagged consumer=anonymous and get no lag gauge")
    void anonymous() throws InterruptedException {
        streamable.producer(NUMBERS).appendAndWait("k", 1);
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Integer> consumer = metrics.consumer(streamable, NUMBERS).handler(m -> { })
                .onCaughtUp(caughtUp::countDown).start()) {
            assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(registry.find(StreamableMetrics.LAG).gauge()).isNull();
        }
        assertThat(registry.find(StreamableMetrics.REBALANCES).counter()).as("not a group member: no rebalances").isNull();
        assertThat(counter(StreamableMetrics.CONSUMED, "topic", "numbers", "consumer", "anonymous")).isEqualTo(1);
    }

    @Test
    @DisplayName("a metered consumer passes onRetentionGap through: the gap reaches the listener and reading goes on")
    void retentionGapPassesThrough() throws InterruptedException {
        Producer<Integer> producer = streamable.producer(NUMBERS);
        producer.appendAndWait("k", 1);
        CountDownLatch first = new CountDownLatch(1);
        try (Consumer<Integer> consumer = streamable.consumer(NUMBERS).name("auditor")
                .handler(message -> first.countDown()).start()) {
            assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        }
        for (int i = 2; i <= 10; i++) {
            producer.appendAndWait("k", i);
        }
        streamable.configureTopic(NUMBERS.name(), Retention.maxMessages(3));
        streamable.backend().topic(NUMBERS.name()).enforceRetention();

        List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
        List<Integer> received = new CopyOnWriteArrayList<>();
        try (Consumer<Integer> consumer = metrics.consumer(streamable, NUMBERS).name("auditor")
                .onRetentionGap(gaps::add)
                .handler(message -> received.add(message.payload())).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
        }
        assertThat(received).containsExactly(8, 9, 10);
        assertThat(gaps).hasSize(1);
        assertThat(gaps.get(0).removedUnread()).isEqualTo(6);
    }
}
