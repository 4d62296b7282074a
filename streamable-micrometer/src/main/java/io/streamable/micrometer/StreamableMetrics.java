package io.streamable.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;

import java.util.Objects;

/**
 * Micrometer metrics for producers and consumers, added by wrapping them, so core needs no hook:
 *
 * <pre>{@code
 * StreamableMetrics metrics = StreamableMetrics.using(registry);
 * Producer<Order> orders = metrics.producer(streamable.producer(ORDERS));
 * Consumer<Order> billing = metrics.consumer(streamable, ORDERS)
 *         .name("billing").handler(this::bill).start();
 * }</pre>
 *
 * <table>
 *   <caption>Meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@value #PRODUCED}</td><td>counter</td><td>topic, result=success|failure</td>
 *       <td>messages appended (counted when the backend answers)</td></tr>
 *   <tr><td>{@value #CONSUMED}</td><td>counter</td><td>topic, consumer</td>
 *       <td>messages handled successfully</td></tr>
 *   <tr><td>{@value #HANDLER}</td><td>timer</td><td>topic, consumer, result=success|failure</td>
 *       <td>time in the handler, per attempt</td></tr>
 *   <tr><td>{@value #FAILURES}</td><td>counter</td><td>topic, consumer, outcome</td>
 *       <td>failures the consumer reported: STOPPED, SKIPPED, DEAD_LETTERED, RETRYING</td></tr>
 *   <tr><td>{@value #LAG}</td><td>gauge</td><td>topic, consumer</td>
 *       <td>messages behind the head; named consumers only, removed when the consumer stops</td></tr>
 * </table>
 *
 * <p>The consumer tag is the consumer's name, or {@code anonymous}.
 */
public final class StreamableMetrics {
    /** Counter of appended messages. */
    public static final String PRODUCED = "streamable.produced";
    /** Counter of successfully handled messages. */
    public static final String CONSUMED = "streamable.consumed";
    /** Timer of handler attempts. */
    public static final String HANDLER = "streamable.handler";
    /** Counter of reported consumer failures. */
    public static final String FAILURES = "streamable.consumer.failures";
    /** Gauge of a named consumer's lag. */
    public static final String LAG = "streamable.consumer.lag";

    private final MeterRegistry registry;

    private StreamableMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Metrics recorded in {@code registry}. */
    public static StreamableMetrics using(MeterRegistry registry) {
        return new StreamableMetrics(Objects.requireNonNull(registry, "registry"));
    }

    /** The same producer, counting what it appends. */
    public <T> Producer<T> producer(Producer<T> producer) {
        String topic = producer.topic().name();
        return new MeteredProducer<>(producer,
                Counter.builder(PRODUCED).tags("topic", topic, "result", "success")
                        .description("Messages appended").register(registry),
                Counter.builder(PRODUCED).tags("topic", topic, "result", "failure")
                        .description("Messages whose append failed").register(registry));
    }

    /** A producer for {@code topic} that counts what it appends. */
    public <T> Producer<T> producer(Streamable streamable, Topic<T> topic) {
        return producer(streamable.producer(topic));
    }

    /**
     * {@code streamable.consumer(topic)}, except that the consumer it starts records consumed
     * counts, handler time, failures and (when named) lag.
     */
    public <T> ConsumerBuilder<T> consumer(Streamable streamable, Topic<T> topic) {
        return new MeteredConsumerBuilder<>(streamable.consumer(topic), topic.name(), this);
    }

    Counter consumed(String topic, String consumer) {
        return Counter.builder(CONSUMED).tags("topic", topic, "consumer", consumer)
                .description("Messages handled successfully").register(registry);
    }

    Timer handler(String topic, String consumer, String result) {
        return Timer.builder(HANDLER).tags("topic", topic, "consumer", consumer, "result", result)
                .description("Time in the message handler, per attempt").register(registry);
    }

    Counter failures(String topic, String consumer, String outcome) {
        return Counter.builder(FAILURES).tags("topic", topic, "consumer", consumer, "outcome", outcome)
                .description("Failures reported by consumers").register(registry);
    }

    Gauge lag(io.streamable.consume.Consumer<?> consumer) {
        return Gauge.builder(LAG, consumer, c -> c.isRunning() ? c.lag() : Double.NaN)
                .tags(Tags.of("topic", consumer.topic().name(), "consumer", consumer.name().orElse("anonymous")))
                .description("Messages stored after the consumer's position").register(registry);
    }

    void remove(Gauge gauge) {
        registry.remove(gauge);
    }
}
