package io.streamable.client;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.StoredRecord;
import io.streamable.client.FailureHandler.Result;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.json.JsonCodecFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("FailureHandler: a schema registry that cannot be read now never makes a sound message poison")
class DecodeUnavailableTest {
    private static final Topic<String> TOPIC = Topic.of("orders", String.class);

    private final FakeTopicStore store = new FakeTopicStore("orders");
    private final FakeTopicStore.FakeBackend backend = new FakeTopicStore.FakeBackend();
    private final List<ConsumerFailure> failures = new CopyOnWriteArrayList<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    /** Decodes like JSON, after the registry's backend was unreachable {@code outages} times. */
    private PayloadDecoder<String> flaky(int outages, AtomicInteger attempts) {
        PayloadDecoder<String> json = PayloadDecoder.of(JsonCodecFactory.defaults().codecFor(TOPIC.payloadType()));
        return record -> {
            if (attempts.incrementAndGet() <= outages) {
                throw new BackendUnavailableException("reading the schema log: connection refused", null);
            }
            return json.decode(record);
        };
    }

    private FailureHandler<String> handler(PayloadDecoder<String> decoder, CountDownLatch closing) {
        ConsumerSettings<String> settings = new ConsumerSettings<>(TOPIC, Optional.of("billing"), StartFrom.beginning(),
                message -> handled.add(message.payload()), () -> { }, Optional.of(failures::add),
                FailurePolicy.retry(1).thenSkip(), 1, 500, Duration.ofSeconds(1), 500, Duration.ofSeconds(5), 2000);
        return new FailureHandler<>(settings, decoder, backend::topic, new FailureReporter(settings), closing);
    }

    private StoredRecord stored(String text) {
        Position position = store.append("k", text);
        return store.records().stream().filter(r -> r.position().equals(position)).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("with a skip policy, an unreachable registry is waited out and the message handled, not skipped")
    void unavailableRegistryIsRetriedNotSkipped() {
        AtomicInteger attempts = new AtomicInteger();
        FailureHandler<String> handler = handler(flaky(3, attempts), new CountDownLatch(1));

        assertThat(handler.handle(stored("a"))).isEqualTo(Result.DONE);
        assertThat(handled).containsExactly("a");
        assertThat(attempts).hasValue(4);
        assertThat(failures).hasSize(3).allSatisfy(failure -> {
            assertThat(failure.outcome()).isEqualTo(Outcome.RETRYING);
            assertThat(failure.cause()).isInstanceOf(BackendUnavailableException.class);
        });
    }

    @Test
    @DisplayName("a close while the registry is unreachable abandons the message (delivered again later), never passes it")
    void closeWhileUnavailableAbandons() {
        CountDownLatch closing = new CountDownLatch(1);
        closing.countDown();
        FailureHandler<String> handler = handler(flaky(Integer.MAX_VALUE, new AtomicInteger()), closing);

        assertThat(handler.handle(stored("a"))).isEqualTo(Result.ABANDONED);
        assertThat(handled).isEmpty();
        assertThat(failures).noneSatisfy(failure -> assertThat(failure.outcome()).isIn(Outcome.SKIPPED, Outcome.DEAD_LETTERED));
    }
}
