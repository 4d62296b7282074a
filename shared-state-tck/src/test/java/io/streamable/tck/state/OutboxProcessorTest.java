package io.streamable.tck.state;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.PendingOutput;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import io.streamable.state.processor.StateProcessor;
import io.streamable.state.processor.StateProcessorBuilder;
import io.streamable.state.processor.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A processor's outbox in one JVM: failed appends are retried from it, a crashed instance's outputs appended by others. */
class OutboxProcessorTest {
    static final Topic<Long> DEPOSITS = Topic.of("deposits", Long.class);
    static final Topic<Long> BALANCES = Topic.of("balances", Long.class);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String topicUrl;
    private String stateUrl;

    @BeforeEach
    void urls() {
        topicUrl = "memory:outbox-" + UUID.randomUUID();
        stateUrl = "memory:outbox-state-" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private <C extends AutoCloseable> C closeLater(C closeable) {
        toClose.add(closeable);
        return closeable;
    }

    private StateStore<Long> store() {
        return closeLater(SharedState.open(stateUrl)).store("balances", Long.class);
    }

    private StateProcessorBuilder<Long, Long> processor(String id, InterceptingStreamable.BeforeAppend hook) {
        Streamable streamable = closeLater(new InterceptingStreamable(Streamable.open(topicUrl), hook));
        return StateProcessor.builder(streamable, store(), BALANCES).name("balances").instanceId(id)
                .input(DEPOSITS, Message::shardingKey, (current, message) -> {
                    long next = current.orElse(0L) + message.payload();
                    return Step.of(next, OutgoingMessage.of(message.shardingKey(), next));
                });
    }

    private void produce(int count) {
        try (Streamable streamable = Streamable.open(topicUrl); Producer<Long> producer = streamable.producer(DEPOSITS)) {
            List<OutgoingMessage<Long>> batch = new ArrayList<>();
            for (long i = 1; i <= count; i++) {
                batch.add(OutgoingMessage.of("acct-" + (i % 3), i));
            }
            producer.appendAllAndWait(batch);
        }
    }

    private List<String> outputSources() throws InterruptedException {
        List<String> read = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(topicUrl);
             Consumer<Long> consumer = streamable.consumer(BALANCES).startFrom(StartFrom.beginning())
                     .handler(m -> read.add(m.header(StateProcessor.SOURCE_HEADER).orElseThrow()))
                     .onCaughtUp(caughtUp::countDown).start()) {
            assertThat(caughtUp.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(consumer.isRunning()).isTrue();
        }
        return new ArrayList<>(read);
    }

    private static boolean isSource(List<? extends OutgoingMessage<?>> messages, String source) {
        return source.equals(messages.get(0).headers().get(StateProcessor.SOURCE_HEADER));
    }

    @Test
    @DisplayName("an append that fails after the state update is appended from the outbox when the message is retried")
    void failedAppendRetried() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        StateProcessor processor = closeLater(processor("a", (topic, messages) -> {
            if (isSource(messages, "deposits@6") && failures.getAndIncrement() == 0) {
                throw new IllegalStateException("simulated failure after the state update of deposits@6");
            }
        }).failurePolicy(FailurePolicy.retry(3).withBackoff(Duration.ZERO, Duration.ZERO)).start());
        produce(20);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.stats().applied() == 20 && processor.lag() == 0);

        assertThat(processor.stats().emitFailures()).isEqualTo(1);
        assertThat(processor.stats().alreadyApplied()).as("the retry was refused as applied").isEqualTo(1);
        assertThat(processor.stats().redelivered()).as("and appended the pending output").isEqualTo(1);
        List<String> sources = outputSources();
        assertThat(sources).hasSize(20).doesNotHaveDuplicates().contains("deposits@6");
        List<PendingOutput> pending = new ArrayList<>();
        store().forEachPending(pending::add);
        assertThat(pending).isEmpty();
        assertThat(store().entries("").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(210);
    }

    @Test
    @DisplayName("the output of an instance that stopped after its state update is appended by a new instance after the grace period")
    void anotherInstanceDeliversStaleOutput() throws Exception {
        StateProcessor broken = closeLater(processor("a", (topic, messages) -> {
            if (isSource(messages, "deposits@4")) {
                throw new IllegalStateException("this instance never appends deposits@4");
            }
        }).failurePolicy(FailurePolicy.stopOnFirstFailure()).start());
        produce(10);
        await().atMost(Duration.ofSeconds(30)).until(() -> broken.stopped().isDone());
        assertThat(broken.stats().applied()).isEqualTo(5);
        broken.close();
        List<PendingOutput> pending = new ArrayList<>();
        store().forEachPending(pending::add);
        assertThat(pending).singleElement().extracting(p -> p.source().toString()).isEqualTo("deposits@4");

        StateProcessor replacement = closeLater(processor("b", (topic, messages) -> { })
                .outboxGrace(Duration.ofMillis(300)).start());
        // memory: has consumer groups: the replacement joins the processor's group and resumes after
        // the last position the broken instance saved (deposits@3), so it handles deposits@4 to @9
        await().atMost(Duration.ofSeconds(30)).until(() -> replacement.stats().redelivered() == 1
                && replacement.stats().handled() == 6 && replacement.lag() == 0);
        assertThat(replacement.stats().applied()).isEqualTo(5);
        assertThat(outputSources()).hasSize(10).doesNotHaveDuplicates().contains("deposits@4");
        List<PendingOutput> left = new ArrayList<>();
        store().forEachPending(left::add);
        assertThat(left).isEmpty();
        assertThat(replacement.stats().emitted()).isEqualTo(6);
    }
}
