package io.streamable.micrometer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Micrometer as interceptors: every producer and consumer of a Streamable is metered, none wrapped by hand")
class MetricsInterceptorsTest {
    private static final Topic<Integer> NUMBERS = Topic.of("numbers", Integer.class);

    @Test
    @DisplayName("counts appends and handled messages and times handler attempts, success and failure")
    void metersEveryProducerAndConsumer() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamableMetrics metrics = StreamableMetrics.using(registry);
        try (Streamable streamable = Streamable.builder().url("memory:")
                .interceptor(metrics.producerInterceptor()).interceptor(metrics.consumerInterceptor()).build()) {
            streamable.producer(NUMBERS).appendAndWait("k", 1);
            streamable.producer(NUMBERS).appendAllAndWait(List.of(OutgoingMessage.of("k", 2), OutgoingMessage.of("k", -3)));
            streamable.consumer(NUMBERS).name("summer").startFrom(StartFrom.beginning())
                    .failurePolicy(FailurePolicy.retry(2).thenSkip())
                    .handler(message -> {
                        if (message.payload() < 0) {
                            throw new IllegalArgumentException("negative");
                        }
                    }).start();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(registry.get(StreamableMetrics.CONSUMED).tags("topic", "numbers", "consumer", "summer")
                        .counter().count()).isEqualTo(2);
                assertThat(registry.get(StreamableMetrics.HANDLER).tags("consumer", "summer", "result", "failure")
                        .timer().count()).isEqualTo(2);
            });
            assertThat(registry.get(StreamableMetrics.PRODUCED).tags("topic", "numbers", "result", "success")
                    .counter().count()).isEqualTo(3);
            assertThat(registry.get(StreamableMetrics.HANDLER).tags("consumer", "summer", "result", "success")
                    .timer().count()).isEqualTo(2);
        }
    }
}
