package io.streamable.opentelemetry;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("OpenTelemetry: a trace runs from the producer to the consumer's handler")
class StreamableTracingTest {
    record Order(String id) {
    }

    private static final Topic<Order> ORDERS = Topic.of("orders", Order.class);

    @RegisterExtension
    static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

    private Streamable open(String url) {
        StreamableTracing tracing = StreamableTracing.using(OTEL.getOpenTelemetry());
        return Streamable.builder().url(url)
                .interceptor(tracing.producerInterceptor())
                .interceptor(tracing.consumerInterceptor())
                .build();
    }

    @Test
    @DisplayName("each consumer span is a child of its message's producer span, on another connection")
    void consumerSpanContinuesProducerSpan() throws Exception {
        try (Streamable producing = open("memory:tracing"); Streamable consuming = open("memory:tracing")) {
            producing.producer(ORDERS).appendAllAndWait(List.of(OutgoingMessage.of("shop-1", new Order("o-1")),
                    OutgoingMessage.of("shop-2", new Order("o-2"))));
            CountDownLatch handled = new CountDownLatch(2);
            consuming.consumer(ORDERS).name("billing").startFrom(StartFrom.beginning())
                    .handler(message -> handled.countDown()).start();
            assertThat(handled.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> OTEL.getSpans().size() == 4);
        }
        List<SpanData> spans = OTEL.getSpans();
        List<SpanData> sends = spans.stream().filter(span -> span.getKind() == SpanKind.PRODUCER).toList();
        List<SpanData> processes = spans.stream().filter(span -> span.getKind() == SpanKind.CONSUMER).toList();
        assertThat(sends).hasSize(2).allSatisfy(span -> {
            assertThat(span.getName()).isEqualTo("send orders");
            assertThat(span.getAttributes().get(StreamableTracing.MESSAGE_ID)).isNotBlank();
        });
        assertThat(processes).hasSize(2).allSatisfy(process -> {
            assertThat(process.getName()).isEqualTo("process orders");
            assertThat(process.getAttributes().get(StreamableTracing.CONSUMER_GROUP)).isEqualTo("billing");
            SpanData parent = sends.stream().filter(send -> send.getSpanId().equals(process.getParentSpanId()))
                    .findFirst().orElseThrow(() -> new AssertionError("no producer span is the parent of " + process));
            assertThat(process.getTraceId()).isEqualTo(parent.getTraceId());
            assertThat(process.getAttributes().get(StreamableTracing.MESSAGE_ID))
                    .isEqualTo(parent.getAttributes().get(StreamableTracing.MESSAGE_ID));
        });
    }

    @Test
    @DisplayName("a failing handler's span is marked as an error, one span per attempt")
    void failingHandlerMarksItsSpan() throws Exception {
        try (Streamable streamable = open("memory:")) {
            streamable.producer(ORDERS).appendAndWait("shop-1", new Order("o-1"));
            CountDownLatch attempts = new CountDownLatch(2);
            streamable.consumer(ORDERS).startFrom(StartFrom.beginning())
                    .failurePolicy(FailurePolicy.retry(2).thenSkip())
                    .handler(message -> {
                        attempts.countDown();
                        throw new IllegalStateException("billing is down");
                    }).start();
            assertThat(attempts.await(10, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> OTEL.getSpans().stream()
                    .filter(span -> span.getKind() == SpanKind.CONSUMER).count() == 2);
        }
        assertThat(OTEL.getSpans().stream().filter(span -> span.getKind() == SpanKind.CONSUMER))
                .allSatisfy(span -> {
                    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                    assertThat(span.getEvents()).anySatisfy(event -> assertThat(event.getName()).isEqualTo("exception"));
                });
    }
}
