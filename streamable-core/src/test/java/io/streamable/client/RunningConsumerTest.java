package io.streamable.client;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.FailurePolicy;
import io.streamable.json.JsonCodecFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

@DisplayName("RunningConsumer: the engine put together, against a fake backend")
class RunningConsumerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Topic<String> TOPIC = Topic.of("orders", String.class);

    private final List<CountDownLatch> gates = new ArrayList<>();
    private final List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
    private FakeTopicStore.FakeBackend backend = new FakeTopicStore.FakeBackend();
    private DefaultStreamable streamable = new DefaultStreamable(backend, JsonCodecFactory.defaults(), "fake:");

    @AfterEach
    void closeAll() {
        gates.forEach(gate -> {
            while (gate.getCount() > 0) {
                gate.countDown();
            }
        });
        streamable.close();
    }

    private void partitioned(int partitions) {
        streamable.close();
        backend = new FakeTopicStore.FakeBackend(partitions);
        streamable = new DefaultStreamable(backend, JsonCodecFactory.defaults(), "fake:");
    }

    private FakeTopicStore store() {
        return backend.topic(TOPIC.name());
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    private ConsumerBuilder<String> consumer() {
        return streamable.consumer(TOPIC).onFailure(failures::add);
    }

    @Test
    @DisplayName("settings are copied at start(): changing and reusing the builder does not touch the running consumer")
    void settingsCopiedAtStart() {
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();
        ConsumerBuilder<String> builder = consumer().name("a").handler(message -> first.add(message.payload()));
        Consumer<String> running = builder.start();

        Consumer<String> other = builder.name("b").concurrency(3).handler(message -> second.add(message.payload())).start();
        store().append("k", "one");

        await().atMost(TIMEOUT).until(() -> first.size() == 1 && second.size() == 1);
        assertThat(first).containsExactly("one");
        assertThat(running.name()).contains("a");
        assertThat(other.name()).contains("b");
        assertThat(store().isHeld("a")).isTrue();
        assertThat(store().isHeld("b")).isTrue();
    }

    @Test
    @DisplayName("close() with a handler that ignores interrupts still releases the name: a new consumer starts right after; stopped() says what was left")
    void closeWithInterruptIgnoringHandler() {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = gate();
        Consumer<String> stuck = consumer().name("stuck").closeTimeout(Duration.ofMillis(100)).handler(message -> {
            entered.countDown();
            while (true) {
                try {
                    if (release.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException ignored) {
                    // this handler ignores interrupts on purpose
                }
            }
        }).start();
        Position position = store().append("k", "one");
        awaitLatch(entered);

        long before = System.nanoTime();
        stuck.close();

        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
        assertThat(store().isHeld("stuck")).as("the name is released when close() returns").isFalse();
        List<String> handled = new CopyOnWriteArrayList<>();
        assertThatCode(() -> consumer().name("stuck").handler(message -> handled.add(message.payload())).start())
                .doesNotThrowAnyException();
        assertThat(stuck.stopped()).isCompletedExceptionally();
        assertThat(stuck.stopped().handle((ok, cause) -> cause.getMessage()).join())
                .contains("still running").contains("position " + position).contains("delivered again");
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(handled).as("the unfinished message comes again")
                .containsExactly("one"));
    }

    @Test
    @DisplayName("close() interrupts a blocked handler after the close timeout; the consumer stops cleanly and the message comes again")
    void closeInterruptsBlockedHandler() {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch never = gate();
        Consumer<String> blocked = consumer().name("blocked").closeTimeout(Duration.ofMillis(100)).handler(message -> {
            entered.countDown();
            never.await();
        }).start();
        store().append("k", "one");
        awaitLatch(entered);

        blocked.close();

        assertThat(blocked.stopped()).succeedsWithin(TIMEOUT);
        assertThat(blocked.isRunning()).isFalse();
        assertThat(failures).as("an interruption by close is not a failure").isEmpty();
        assertThat(store().savedPosition("blocked")).isEmpty();
    }

    @ParameterizedTest(name = "concurrency {0}")
    @ValueSource(ints = {1, 4})
    @DisplayName("an Error thrown by a handler is reported like any failure (onFailure with position) and stops the consumer with topic and position")
    void errorsReportedAtAnyConcurrency(int concurrency) {
        List<String> handled = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = consumer().name("errors").concurrency(concurrency)
                .failurePolicy(FailurePolicy.stopOnFirstFailure()).handler(message -> {
                    if (message.payload().equals("boom")) {
                        throw new StackOverflowError("deep");
                    }
                    handled.add(message.payload());
                }).start();
        Position boom = null;
        for (int i = 0; i < 20; i++) {
            Position position = store().append("key-" + (i % 5), i == 7 ? "boom" : "m" + i);
            boom = i == 7 ? position : boom;
        }
        Position failed = boom;

        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(consumer.stopped()).isCompletedExceptionally();
        assertThat(consumer.stopped().handle((ok, cause) -> cause).join())
                .hasMessageContaining("orders").hasMessageContaining("position " + failed)
                .hasRootCauseInstanceOf(StackOverflowError.class);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.outcome()).isEqualTo(Outcome.STOPPED);
            assertThat(failure.position()).contains(failed);
            assertThat(failure.cause()).isInstanceOf(StackOverflowError.class);
        });
        assertThat(consumer.position()).hasValueSatisfying(position -> assertThat(position.covers(failed)).isFalse());
        assertThat(store().isHeld("errors")).isFalse();
    }

    @Test
    @DisplayName("fencing stops the consumer at once: nothing more is delivered, onFailure gets STOPPED and stopped() the ConsumerFencedException")
    void fencingStopsDelivery() {
        List<String> handled = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = consumer().name("fenced").commitEvery(1, Duration.ZERO)
                .handler(message -> handled.add(message.payload())).start();
        store().append("k", "a");
        store().append("k", "b");
        await().atMost(TIMEOUT).until(() -> handled.size() == 2);
        await().atMost(TIMEOUT).until(() -> store().savedPosition("fenced").isPresent());
        int commits = store().commits.size();

        store().takeOver("fenced");
        store().append("k", "c");

        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(consumer.stopped().handle((ok, cause) -> cause).join()).isInstanceOf(ConsumerFencedException.class);
        assertThat(handled).as("nothing delivered after the take-over").containsExactly("a", "b");
        assertThat(failures).extracting(ConsumerFailure::outcome).containsExactly(Outcome.STOPPED);
        assertThat(failures.get(0).cause()).isInstanceOf(ConsumerFencedException.class);
        assertThat(store().commits).as("no commit after the fencing").hasSize(commits);
        assertThat(consumer.isRunning()).isFalse();
    }

    @Test
    @DisplayName("a commit refused by fencing stops the consumer before it starts another message")
    void fencedCommitStops() {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = gate();
        List<String> handled = new CopyOnWriteArrayList<>();
        Consumer<String> consumer = consumer().name("fenced-commit").commitEvery(1, Duration.ZERO).handler(message -> {
            if (message.payload().equals("a")) {
                entered.countDown();
                release.await();
            }
            handled.add(message.payload());
        }).start();
        store().append("k", "a");
        awaitLatch(entered);
        FakeTopicStore.FakeReader reader = store().holder("fenced-commit");
        reader.failNextCommit.set(new ConsumerFencedException(TOPIC.name(), "fenced-commit", "epoch 1 < 2"));
        release.countDown();
        store().append("k", "b");

        await().atMost(TIMEOUT).until(() -> consumer.stopped().isDone());
        assertThat(consumer.stopped()).isCompletedExceptionally();
        assertThat(store().savedPosition("fenced-commit")).isEmpty();
        assertThat(reader.isClosed()).isTrue();
    }

    @ParameterizedTest(name = "{0} partition(s)")
    @ValueSource(ints = {1, 4})
    @DisplayName("a clean close at concurrency 8 saves exactly what was handled: nothing handled is left out, nothing unhandled covered")
    void cleanCloseSavesEverythingHandled(int partitions) {
        partitioned(partitions);
        Set<Position> handled = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.CompletableFuture<Consumer<String>> self = new java.util.concurrent.CompletableFuture<>();
        List<Position> all = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            all.add(store().append("key-" + (i % 50), "m" + i));
        }
        Consumer<String> consumer = consumer().name("eight").concurrency(8).commitEvery(1_000_000, Duration.ofHours(1))
                .handler(message -> {
                    // work that differs by key, so keys drift apart and the close lands with holes between them
                    LockSupport.parkNanos(20_000L * (message.shardingKey().hashCode() & 7));
                    if (handled.add(message.position()) && handled.size() == 600) {
                        self.join().close(); // from a handler: returns at once, the other handlers are mid-stream
                    }
                }).start();
        self.complete(consumer);

        assertThat(consumer.stopped()).succeedsWithin(TIMEOUT);
        Position saved = store().savedPosition("eight").orElseThrow();
        Set<Position> covered = new HashSet<>();
        for (Position position : all) {
            if (saved.covers(position)) {
                covered.add(position);
            }
        }
        assertThat(covered).as("saved %s covers exactly the handled messages", saved).isEqualTo(handled);
        assertThat(consumer.position()).contains(saved);
    }

    @Test
    @DisplayName("a slow key does not hold back the others at concurrency 4")
    void slowKeyDoesNotBlock() {
        CountDownLatch release = gate();
        List<String> fast = new CopyOnWriteArrayList<>();
        consumer().concurrency(4).handler(message -> {
            if (message.shardingKey().equals("slow")) {
                release.await();
            } else {
                fast.add(message.payload());
            }
        }).start();
        store().append("slow", "s1");
        store().append("slow", "s2");
        for (int i = 0; i < 200; i++) {
            store().append("fast-" + (i % 20), "f" + i);
        }

        await().atMost(TIMEOUT).until(() -> fast.size() == 200);
        release.countDown();
    }

    @Test
    @DisplayName("the caught-up callback fires once everything read is handled, also when handlers finish after the read")
    void caughtUpAfterHandlersFinish() {
        CountDownLatch release = gate();
        List<Integer> handledAtCaughtUp = new CopyOnWriteArrayList<>();
        List<Message<String>> handled = new CopyOnWriteArrayList<>();
        store().append("k", "a");
        store().append("j", "b");
        consumer().concurrency(2).onCaughtUp(() -> handledAtCaughtUp.add(handled.size())).handler(message -> {
            if (message.payload().equals("a")) {
                release.await();
            }
            handled.add(message);
        }).start();

        await().atMost(TIMEOUT).until(() -> handled.size() == 1);
        assertThat(handledAtCaughtUp).as("not caught up while a is still running").isEmpty();
        release.countDown();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(handledAtCaughtUp).containsExactly(2));
    }

    @Test
    @DisplayName("a backend outage on read or commit is reported as RETRYING; delivery goes on and the position is saved later")
    void outagesAreRetried() {
        List<String> handled = new CopyOnWriteArrayList<>();
        consumer().name("patient").commitEvery(1, Duration.ZERO).handler(message -> handled.add(message.payload())).start();
        FakeTopicStore.FakeReader reader = store().holder("patient");
        reader.failNextCommit.set(new BackendUnavailableException("commit refused", new java.io.IOException("down")));
        Position first = store().append("k", "a");
        await().atMost(TIMEOUT).until(() -> handled.size() == 1);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(store().savedPosition("patient")).contains(first));

        reader.failNextRead.set(new BackendUnavailableException("read refused", new java.io.IOException("down")));
        reader.wakeup();
        Position second = store().append("k", "b");

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(store().savedPosition("patient")).contains(second));
        assertThat(handled).containsExactly("a", "b");
        assertThat(failures).extracting(ConsumerFailure::outcome).containsExactly(Outcome.RETRYING, Outcome.RETRYING);
        assertThat(failures).extracting(failure -> failure.cause().getMessage())
                .anySatisfy(message -> assertThat(message).contains("commit refused"))
                .anySatisfy(message -> assertThat(message).contains("read refused"));
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).as("latch released").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
