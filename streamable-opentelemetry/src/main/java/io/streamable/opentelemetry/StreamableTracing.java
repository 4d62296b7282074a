package io.streamable.opentelemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.consume.ConsumerInterceptor;
import io.streamable.consume.MessageHandler;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.ProducerInterceptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * OpenTelemetry tracing for Streamable Topic, as interceptors: every appended message gets a
 * {@link SpanKind#PRODUCER PRODUCER} span whose context travels in the message's headers (the
 * configured propagator's fields, {@code traceparent} with W3C Trace Context), and every handler
 * call a {@link SpanKind#CONSUMER CONSUMER} span that continues it, so a trace runs from the
 * code that produced a message to the handler that consumed it, across processes.
 *
 * <pre>{@code
 * StreamableTracing tracing = StreamableTracing.using(openTelemetry);
 * Streamable streamable = Streamable.builder().url(url)
 *         .interceptor(tracing.producerInterceptor())
 *         .interceptor(tracing.consumerInterceptor())
 *         .build();
 * }</pre>
 *
 * Span names and attributes follow OpenTelemetry's messaging conventions:
 * {@code "send orders"} and {@code "process orders"}, with {@code messaging.system},
 * {@code messaging.destination.name}, {@code messaging.operation.type}, the consumer's name as
 * {@code messaging.consumer.group.name} and the position as {@code messaging.message.id}.
 */
public final class StreamableTracing {
    /** The instrumentation scope name spans are created under. */
    public static final String INSTRUMENTATION_NAME = "io.streamable";
    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<String> SHARDING_KEY = AttributeKey.stringKey("messaging.streamable.sharding_key");

    private static final TextMapGetter<Map<String, String>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    private StreamableTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_NAME);
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    /**
     * Tracing with an OpenTelemetry instance: its tracer provider and its propagators.
     *
     * @param openTelemetry for example {@code GlobalOpenTelemetry.get()} or the SDK you built
     * @return the tracing, whose interceptors you install on a {@code StreamableBuilder}
     */
    public static StreamableTracing using(OpenTelemetry openTelemetry) {
        return new StreamableTracing(Objects.requireNonNull(openTelemetry,
                "using(null): pass an OpenTelemetry, e.g. GlobalOpenTelemetry.get()"));
    }

    /**
     * Starts a producer span per message, in the caller's current context, and writes its context
     * into the message's headers; the span ends when the append completes, with the message's
     * position or the failure.
     *
     * @return the interceptor to pass to {@code StreamableBuilder.interceptor(...)}
     */
    public ProducerInterceptor producerInterceptor() {
        return new ProducerInterceptor() {
            @Override
            public <T> CompletableFuture<List<Position>> aroundAppend(Topic<T> topic, List<OutgoingMessage<T>> messages,
                                                                    Append<T> next) {
                List<Span> spans = new ArrayList<>(messages.size());
                List<OutgoingMessage<T>> traced = new ArrayList<>(messages.size());
                for (OutgoingMessage<T> message : messages) {
                    Span span = tracer.spanBuilder("send " + topic.name()).setSpanKind(SpanKind.PRODUCER)
                            .setAttribute(SYSTEM, "streamable").setAttribute(DESTINATION, topic.name())
                            .setAttribute(OPERATION, "send").setAttribute(SHARDING_KEY, message.shardingKey())
                            .startSpan();
                    spans.add(span);
                    OutgoingMessage<T>[] carrier = carrierOf(message);
                    propagator.inject(Context.current().with(span), carrier,
                            (holder, key, value) -> holder[0] = holder[0].withHeader(key, value));
                    traced.add(carrier[0]);
                }
                CompletableFuture<List<Position>> appended;
                try {
                    appended = next.append(traced);
                } catch (RuntimeException e) {
                    spans.forEach(span -> fail(span, e));
                    throw e;
                }
                return appended.whenComplete((positions, failure) -> {
                    for (int i = 0; i < spans.size(); i++) {
                        if (failure != null) {
                            fail(spans.get(i), failure);
                        } else {
                            spans.get(i).setAttribute(MESSAGE_ID, positions.get(i).encode());
                            spans.get(i).end();
                        }
                    }
                });
            }
        };
    }

    /**
     * Runs every handler call in a consumer span that continues the producer's trace found in the
     * message's headers (a new trace when there is none). A handler that throws marks its span
     * as an error; the consumer's failure policy then decides as usual.
     *
     * @return the interceptor to pass to {@code StreamableBuilder.interceptor(...)}
     */
    public ConsumerInterceptor consumerInterceptor() {
        return new ConsumerInterceptor() {
            @Override
            public <T> void aroundHandle(Optional<String> consumerName, Message<T> message, MessageHandler<T> next)
                    throws Exception {
                Context parent = propagator.extract(Context.root(), message.headers(), HEADERS);
                var builder = tracer.spanBuilder("process " + message.topic()).setParent(parent)
                        .setSpanKind(SpanKind.CONSUMER).setAttribute(SYSTEM, "streamable")
                        .setAttribute(DESTINATION, message.topic()).setAttribute(OPERATION, "process")
                        .setAttribute(MESSAGE_ID, message.position().encode())
                        .setAttribute(SHARDING_KEY, message.shardingKey());
                consumerName.ifPresent(name -> builder.setAttribute(CONSUMER_GROUP, name));
                Span span = builder.startSpan();
                try (Scope ignored = span.makeCurrent()) {
                    next.handle(message);
                    span.end();
                } catch (Exception | Error e) {
                    fail(span, e);
                    throw e;
                }
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> OutgoingMessage<T>[] carrierOf(OutgoingMessage<T> message) {
        // the propagator writes fields one by one into a carrier; OutgoingMessage is immutable
        return new OutgoingMessage[]{message};
    }

    private static void fail(Span span, Throwable failure) {
        span.recordException(failure);
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
        span.end();
    }
}
