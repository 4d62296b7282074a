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

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.consume.ConsumerInterceptor;
import io.streamable.consume.MessageHandler;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.ProducerInterceptor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Micrometer metrics for producers and consumers: as interceptors for every producer and
 * consumer of a {@code Streamable} ({@link #producerInterceptor()}, {@link #consumerInterceptor()}),
 * or by wrapping one producer or consumer, which adds failure counts and the lag gauge:
 *
 * <pre>{@code
 * StreamableMetrics metrics = StreamableMetrics.using(registry);
 * Streamable streamable = Streamable.builder().url(url)
 *         .interceptor(metrics.producerInterceptor()).interceptor(metrics.consumerInterceptor()).build();
 * // or, one at a time:
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
 *   <tr><td>{@value #LAG}</td><td>gauge</td><td>topic, consumer, member</td>
 *       <td>messages behind the head (a consumer group member: of its slots); named consumers only,
 *       removed when the consumer stops</td></tr>
 *   <tr><td>{@value #SLOTS}</td><td>gauge</td><td>topic, consumer, member</td>
 *       <td>slots a consumer group member owns; removed when it stops</td></tr>
 *   <tr><td>{@value #REBALANCES}</td><td>counter</td><td>topic, consumer</td>
 *       <td>changes of the slots consumer group members own, as
 *       {@link io.streamable.consume.ConsumerBuilder#onAssignmentChange} reports them: each member's
 *       first share, each rebalance that moved slots to or from it, and the release when it stops</td></tr>
 * </table>
 *
 * <p>The consumer tag is the consumer's name, or {@code anonymous}; the member tag is the member's
 * id in its consumer group, or {@code only} for a named consumer on a backend without groups.
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
    /** Gauge of a named consumer's lag; for a consumer group member, of its own slots (tag {@code member}). */
    public static final String LAG = "streamable.consumer.lag";
    /** Gauge of how many slots a consumer group member owns; it moves with every rebalance. */
    public static final String SLOTS = "streamable.consumer.slots";
    /** Counter of changes of the slots consumer group members own (of all members of one name, in this registry). */
    public static final String REBALANCES = "streamable.consumer.rebalances";

    private final MeterRegistry registry;

    private StreamableMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Metrics recorded in {@code registry}.
     *
     * @param registry where the meters are registered
     * @return the metrics, whose interceptors and wrappers record into {@code registry}
     */
    public static StreamableMetrics using(MeterRegistry registry) {
        return new StreamableMetrics(Objects.requireNonNull(registry, "registry"));
    }

    /**
     * Counts what every producer of a {@code Streamable} appends ({@value #PRODUCED}), also
     * producers injected by frameworks: install it with
     * {@code Streamable.builder().interceptor(metrics.producerInterceptor())}.
     *
     * @return the interceptor
     */
    public ProducerInterceptor producerInterceptor() {
        return new ProducerInterceptor() {
            @Override
            public <T> CompletableFuture<List<Position>> aroundAppend(Topic<T> topic, List<OutgoingMessage<T>> messages,
                                                                    Append<T> next) {
                int count = messages.size();
                return next.append(messages).whenComplete((positions, failure) -> Counter.builder(PRODUCED)
                        .tags("topic", topic.name(), "result", failure == null ? "success" : "failure")
                        .description("Messages appended").register(registry).increment(count));
            }
        };
    }

    /**
     * Times every handler attempt ({@value #HANDLER}) and counts handled messages
     * ({@value #CONSUMED}) of every consumer of a {@code Streamable}: install it with
     * {@code Streamable.builder().interceptor(metrics.consumerInterceptor())}. Failures and lag
     * need the consumer itself: start it through {@link #consumer(Streamable, Topic)} for those.
     *
     * @return the interceptor
     */
    public ConsumerInterceptor consumerInterceptor() {
        return new ConsumerInterceptor() {
            @Override
            public <T> void aroundHandle(Optional<String> consumerName, Message<T> message, MessageHandler<T> next)
                    throws Exception {
                String consumer = consumerName.orElse("anonymous");
                long start = System.nanoTime();
                try {
                    next.handle(message);
                } catch (Exception | Error e) {
                    handler(message.topic(), consumer, "failure").record(Duration.ofNanos(System.nanoTime() - start));
                    throw e;
                }
                handler(message.topic(), consumer, "success").record(Duration.ofNanos(System.nanoTime() - start));
                consumed(message.topic(), consumer).increment();
            }
        };
    }

    /**
     * The same producer, counting what it appends.
     *
     * @param producer the producer to wrap
     * @param <T>      the payload type
     * @return a producer that appends through {@code producer} and counts each append
     */
    public <T> Producer<T> producer(Producer<T> producer) {
        String topic = producer.topic().name();
        return new MeteredProducer<>(producer,
                Counter.builder(PRODUCED).tags("topic", topic, "result", "success")
                        .description("Messages appended").register(registry),
                Counter.builder(PRODUCED).tags("topic", topic, "result", "failure")
                        .description("Messages whose append failed").register(registry));
    }

    /**
     * A producer for {@code topic} that counts what it appends.
     *
     * @param streamable the connection that opens the producer
     * @param topic      the topic
     * @param <T>        the payload type
     * @return a counting producer for {@code topic}
     */
    public <T> Producer<T> producer(Streamable streamable, Topic<T> topic) {
        return producer(streamable.producer(topic));
    }

    /**
     * {@code streamable.consumer(topic)}, except that the consumer it starts records consumed
     * counts, handler time, failures and (when named) lag; a consumer group member also its slots
     * and rebalances.
     *
     * @param streamable the connection that opens the consumer
     * @param topic      the topic
     * @param <T>        the payload type
     * @return a builder whose started consumers are metered
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

    Counter rebalances(String topic, String consumer) {
        return Counter.builder(REBALANCES).tags("topic", topic, "consumer", consumer)
                .description("Changes of the slots consumer group members own").register(registry);
    }

    Gauge lag(io.streamable.consume.Consumer<?> consumer) {
        return Gauge.builder(LAG, consumer, c -> c.isRunning() ? c.lag() : Double.NaN)
                .tags(consumerTags(consumer))
                .description("Messages stored after the consumer's position (a group member: of its slots)").register(registry);
    }

    /** The slots gauge of a consumer group member; empty for a consumer that is none. */
    java.util.Optional<Gauge> slots(io.streamable.consume.Consumer<?> consumer) {
        if (consumer.assignment().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(Gauge.builder(SLOTS, consumer, c -> c.assignment()
                        .map(assignment -> (double) assignment.slots().size()).orElse(Double.NaN))
                .tags(consumerTags(consumer))
                .description("Slots of the topic this consumer group member owns").register(registry));
    }

    /** Topic, consumer and member: several members of one group may run in one process. */
    private static Tags consumerTags(io.streamable.consume.Consumer<?> consumer) {
        return Tags.of("topic", consumer.topic().name(), "consumer", consumer.name().orElse("anonymous"),
                "member", consumer.assignment().map(io.streamable.consume.GroupAssignment::memberId).orElse("only"));
    }

    void remove(Gauge gauge) {
        registry.remove(gauge);
    }
}
