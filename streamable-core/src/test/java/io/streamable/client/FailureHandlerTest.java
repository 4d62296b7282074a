package io.streamable.client;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.StoredRecord;
import io.streamable.client.FailureHandler.Result;
import io.streamable.codec.PayloadCodecException;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.MessageHandler;
import io.streamable.consume.StartFrom;
import io.streamable.json.JsonCodecFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("FailureHandler: retry with backoff, then stop, skip or dead-letter; poison messages are not retried")
class FailureHandlerTest {
    private static final Topic<String> TOPIC = Topic.of("orders", String.class);
    private static final FailurePolicy FAST = FailurePolicy.retry(3).withBackoff(Duration.ofMillis(1), Duration.ofMillis(2));

    private final FakeTopicStore store = new FakeTopicStore("orders");
    private final FakeTopicStore.FakeBackend backend = new FakeTopicStore.FakeBackend();
    private final List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();

    private FailureHandler<String> handler(FailurePolicy policy, MessageHandler<String> handler) {
        ConsumerSettings<String> settings = new ConsumerSettings<>(TOPIC, Optional.of("billing"), StartFrom.beginning(),
                message -> {
                    calls.incrementAndGet();
                    handler.handle(message);
                }, () -> { }, Optional.of(failures::add), policy, 1, 500, Duration.ofSeconds(1), 500,
                Duration.ofSeconds(5), 2000);
        PayloadDecoder<String> decoder = PayloadDecoder.of(JsonCodecFactory.defaults().codecFor(TOPIC.payloadType()));
        return new FailureHandler<>(settings, decoder, backend::topic, new FailureReporter(settings), closing);
    }

    private StoredRecord stored(String text) {
        Position position = store.append("k", text);
        return store.records().stream().filter(r -> r.position().equals(position)).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("a handler that fails twice then succeeds is acknowledged after three attempts, with no failure reported")
    void retryThenSucceed() {
        FailureHandler<String> handler = handler(FAST, message -> {
            if (calls.get() < 3) {
                throw new IllegalStateException("not yet");
            }
        });

        assertThat(handler.handle(stored("a"))).isEqualTo(Result.DONE);
        assertThat(calls).hasValue(3);
        assertThat(failures).isEmpty();
    }

    @Test
    @DisplayName("retry then STOP: reported once as STOPPED with the position; the stop cause names topic, position and key")
    void retryThenStop() {
        StoredRecord record = stored("a");
        FailureHandler<String> handler = handler(FAST.thenStop(), message -> {
            throw new IllegalStateException("broken");
        });

        assertThat(handler.handle(record)).isEqualTo(Result.STOP);
        assertThat(calls).hasValue(3);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.outcome()).isEqualTo(Outcome.STOPPED);
            assertThat(failure.position()).contains(record.position());
            assertThat(failure.attempts()).isEqualTo(3);
        });
        assertThat(handler.stopCause()).hasValueSatisfying(cause -> assertThat(cause.getMessage())
                .contains("orders").contains("position " + record.position()).contains("\"k\"").contains("broken"));
    }

    @Test
    @DisplayName("retry then SKIP: reported as SKIPPED and acknowledged")
    void retryThenSkip() {
        FailureHandler<String> handler = handler(FAST.thenSkip(), message -> {
            throw new IllegalStateException("broken");
        });

        assertThat(handler.handle(stored("a"))).isEqualTo(Result.DONE);
        assertThat(failures).extracting(ConsumerFailure::outcome).containsExactly(Outcome.SKIPPED);
    }

    @Test
    @DisplayName("retry then DEAD_LETTER: the payload bytes go to the dead-letter topic with the streamable.dlq.* headers")
    void retryThenDeadLetter() {
        StoredRecord record = stored("a");
        FailureHandler<String> handler = handler(FAST.thenDeadLetter("orders.dlq"), message -> {
            throw new IllegalStateException("broken");
        });

        assertThat(handler.handle(record)).isEqualTo(Result.DONE);
        assertThat(failures).extracting(ConsumerFailure::outcome).containsExactly(Outcome.DEAD_LETTERED);
        assertThat(backend.topic("orders.dlq").records()).singleElement().satisfies(copy -> {
            assertThat(copy.payload()).isEqualTo(record.payload());
            assertThat(copy.shardingKey()).isEqualTo("k");
            assertThat(copy.headers()).containsEntry(FailurePolicy.DLQ_SOURCE_TOPIC, "orders")
                    .containsEntry(FailurePolicy.DLQ_SOURCE_POSITION, record.position().encode())
                    .containsEntry(FailurePolicy.DLQ_CONSUMER, "billing")
                    .hasEntrySatisfying(FailurePolicy.DLQ_ERROR, error -> assertThat(error).contains("broken"));
        });
    }

    @Test
    @DisplayName("an undecodable payload is a poison message: not retried, handled by the policy with a PayloadCodecException")
    void undecodableNotRetried() {
        Position position = store.append("k", "x");
        StoredRecord bad = new StoredRecord(position, java.time.Instant.EPOCH, "k", Optional.empty(), Map.of(),
                "{not json".getBytes());
        FailureHandler<String> handler = handler(FAST.thenSkip(), message -> { });

        assertThat(handler.handle(bad)).isEqualTo(Result.DONE);
        assertThat(calls).as("the handler never sees it").hasValue(0);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.outcome()).isEqualTo(Outcome.SKIPPED);
            assertThat(failure.attempts()).isEqualTo(1);
            assertThat(failure.cause()).isInstanceOf(PayloadCodecException.class)
                    .hasMessageContaining("orders").hasMessageContaining("position " + position);
        });
    }

    @Test
    @DisplayName("decodeAhead gives the message of a sound record, null for a poison or malformed one, which then takes the policy's path")
    void decodeAheadOnlyForSoundRecords() {
        FailureHandler<String> handler = handler(FAST.thenSkip(), message -> { });
        StoredRecord sound = stored("a");
        Position position = store.append("k", "x");
        StoredRecord bad = new StoredRecord(position, java.time.Instant.EPOCH, "k", Optional.empty(), Map.of(),
                "{not json".getBytes());
        Position malformedAt = store.appendMalformed("k", "not bytes");
        StoredRecord malformed = store.records().stream().filter(r -> r.position().equals(malformedAt)).findFirst()
                .orElseThrow();

        io.streamable.Message<String> decoded = handler.decodeAhead(sound);
        assertThat(decoded).isNotNull();
        assertThat(decoded.payload()).isEqualTo("a");
        assertThat(decoded.position()).isEqualTo(sound.position());
        assertThat(handler.decodeAhead(bad)).isNull();
        assertThat(handler.decodeAhead(malformed)).isNull();
        assertThat(failures).as("decoding ahead reports nothing").isEmpty();

        assertThat(handler.handle(sound, decoded)).isEqualTo(Result.DONE);
        assertThat(handler.handle(bad, null)).isEqualTo(Result.DONE);
        assertThat(calls).hasValue(1);
        assertThat(failures).singleElement().satisfies(failure ->
                assertThat(failure.cause()).isInstanceOf(PayloadCodecException.class));
    }

    @Test
    @DisplayName("a record the backend could not read (StoredRecord.defect) stops the consumer with an error naming topic, position and defect")
    void malformedRecordIsPoison() {
        Position position = store.appendMalformed("k", "field payload is an embedded document, not bytes");
        StoredRecord malformed = store.records().get(0);
        FailureHandler<String> handler = handler(FAST.thenStop(), message -> { });

        assertThat(handler.handle(malformed)).isEqualTo(Result.STOP);
        assertThat(calls).hasValue(0);
        assertThat(failures).singleElement().satisfies(failure -> assertThat(failure.cause())
                .isInstanceOf(PayloadCodecException.class).hasMessageContaining("orders")
                .hasMessageContaining("position " + position).hasMessageContaining("embedded document"));
    }

    @Test
    @DisplayName("an Error thrown by the handler goes through the same policy and report as an exception")
    void errorsAreReportedLikeExceptions() {
        StoredRecord record = stored("a");
        FailureHandler<String> handler = handler(FailurePolicy.stopOnFirstFailure(), message -> {
            throw new AssertionError("a bug in the handler");
        });

        assertThat(handler.handle(record)).isEqualTo(Result.STOP);
        assertThat(failures).singleElement().satisfies(failure -> {
            assertThat(failure.outcome()).isEqualTo(Outcome.STOPPED);
            assertThat(failure.position()).contains(record.position());
            assertThat(failure.cause()).isInstanceOf(AssertionError.class);
        });
    }

    @Test
    @DisplayName("a failure once the consumer is closing abandons the record unreported; a backoff ends at close")
    void closingAbandons() {
        FailureHandler<String> handler = handler(FailurePolicy.retry(5).withBackoff(Duration.ofHours(1), Duration.ofHours(1)),
                message -> {
                    if (calls.get() == 1) {
                        closing.countDown(); // close() arrives while the first attempt runs
                    }
                    throw new IllegalStateException("interrupted by close");
                });

        assertThat(handler.handle(stored("a"))).isEqualTo(Result.ABANDONED);
        assertThat(failures).isEmpty();
    }
}
