package io.streamable.client;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.Topic;
import io.streamable.TopicDescription;
import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import io.streamable.schema.SchemaRegistry;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The way in: a connection to one backend, chosen by URL, that makes typed producers and
 * consumers. Thread-safe; open one per application and share it.
 *
 * <pre>{@code
 * try (Streamable streamable = Streamable.open("memory:")) {
 *     Topic<Greeting> greetings = Topic.of("greetings", Greeting.class);
 *     streamable.producer(greetings).appendAndWait("phil", new Greeting("phil", true));
 *     streamable.consumer(greetings)
 *         .name("printer")
 *         .handler(message -> System.out.println(message.payload()))
 *         .start();
 * }
 * }</pre>
 *
 * <p>Closing it closes every producer and consumer it made, then the backend connection.
 */
public interface Streamable extends AutoCloseable {

    /**
     * Opens the backend named by configuration: the {@code STREAMABLE_URL} environment variable,
     * else the {@code streamable.url} system property, else {@code streamable.url} in a
     * {@code streamable.properties} on the class path, else {@code memory:}.
     *
     * @return the open {@code Streamable}, which the caller closes
     */
    static Streamable open() {
        return builder().fromEnvironment().build();
    }

    /**
     * Opens the backend a URL names, for example {@code memory:},
     * {@code mongoredis://localhost:27017/db?redis=redis://localhost:6379} or
     * {@code kafka://localhost:9092}.
     *
     * @param url the backend URL
     * @return the open {@code Streamable}, which the caller closes
     * @throws io.streamable.backend.BackendNotFoundException if no backend on the class path
     *                                                        handles the URL's scheme
     */
    static Streamable open(String url) {
        return builder().url(url).build();
    }

    /**
     * Options beyond the URL: backend options, a custom payload codec.
     *
     * @return a builder that starts from {@code memory:} and the JSON codec
     */
    static StreamableBuilder builder() {
        return new StreamableBuilder();
    }

    /**
     * A producer for a topic; the topic is created on first use. Every call with an equal topic
     * shares one thread-safe producer underneath (the payload type is checked against the topic's
     * schema once), so calling it inline is cheap. Closing what this returns ends that caller's use
     * only; the shared producer closes with this {@code Streamable}.
     *
     * @param topic the topic
     * @param <T>   the payload type
     * @return a producer for {@code topic}
     */
    <T> Producer<T> producer(Topic<T> topic);

    /**
     * Options for a new consumer of a topic.
     *
     * @param topic the topic
     * @param <T>   the payload type
     * @return a builder; {@link ConsumerBuilder#start()} starts the consumer
     */
    <T> ConsumerBuilder<T> consumer(Topic<T> topic);

    /**
     * The schema versions of this backend's topics, and their compatibility modes.
     *
     * @return the schema registry of this backend
     * @throws IllegalStateException if schema support is off (a codec factory that is not a
     *                               {@link io.streamable.schema.SchemaCapableCodecFactory}, or
     *                               {@link StreamableBuilder#schemaRegistry(boolean)} false)
     */
    SchemaRegistry schemas();

    /** {@return the names of the topics stored in the backend, framework-internal ones excluded} */
    Set<String> topics();

    /**
     * Moves a named consumer's saved position, also backwards, like Kafka's
     * {@code kafka-consumer-groups --reset-offsets}: its next start resumes at {@code to}.
     * {@link StartFrom#latest()} means after the newest message stored now, and a position beyond
     * it is lowered to it, as when a consumer starts. The consumer must not be running: a live
     * consumer is never moved under its feet. The name need not have been used yet (its first
     * start then resumes at {@code to}); a topic that does not exist is created, as on first use.
     *
     * <pre>{@code
     * streamable.resetConsumer("orders", "billing", StartFrom.beginning()); // replay everything
     * }</pre>
     *
     * @param topic        the topic's name
     * @param consumerName the consumer's {@link ConsumerBuilder#name(String) name}
     * @param to           where its next start resumes
     * @throws io.streamable.consume.ConsumerNameInUseException if a live consumer of that name reads
     *                                                         the topic; close it first
     * @throws IllegalArgumentException if a name is not legal
     */
    default void resetConsumer(String topic, String consumerName, StartFrom to) {
        Objects.requireNonNull(to, "to is null: pass StartFrom.beginning(), StartFrom.latest() or StartFrom.after(position)");
        TopicStore store = backend().topic(TopicName.requireValid(topic));
        StartFrom resolved = StartResolver.resolve(to, store, "consumer \"" + requireConsumerName(consumerName)
                + "\" of topic \"" + topic + "\"");
        Optional<Position> after = resolved instanceof StartFrom.After a ? Optional.of(a.position()) : Optional.empty();
        store.resetPosition(consumerName, after);
    }

    /**
     * Forgets a named consumer's saved position, so its next start uses its
     * {@link ConsumerBuilder#startFrom(StartFrom) start} again; it leaves
     * {@link io.streamable.backend.TopicStore#consumerNames()}. Forgetting a name that has nothing
     * saved does nothing.
     *
     * @param topic        the topic's name
     * @param consumerName the consumer's name
     * @throws io.streamable.consume.ConsumerNameInUseException if a live consumer of that name reads
     *                                                         the topic; close it first
     * @throws IllegalArgumentException if a name is not legal
     */
    default void deleteConsumer(String topic, String consumerName) {
        requireConsumerName(consumerName);
        // asking for the store would create a topic that does not exist
        if (backend().listTopics().contains(TopicName.requireValid(topic))) {
            backend().topic(topic).deleteConsumer(consumerName);
        }
    }

    /**
     * Deletes a topic: its messages, its consumers' saved positions and its schema versions. It
     * leaves {@link #topics()}; using the name again creates a new, empty topic. Deleting a topic
     * that does not exist does nothing.
     *
     * @param topic the topic's name
     * @throws io.streamable.consume.ConsumerNameInUseException if a live named consumer reads the
     *                                                         topic; close it first
     * @throws IllegalArgumentException if {@code topic} is not a legal topic name (framework-internal
     *                                  topics go with the topic they belong to)
     */
    default void deleteTopic(String topic) {
        backend().deleteTopic(TopicName.requireValid(topic));
    }

    /**
     * Declares a topic's retention, the way a Spring application declares a Kafka {@code NewTopic}
     * bean with {@code retention.ms}: creates the topic with it when the topic does not exist yet,
     * otherwise changes the stored retention (call it at start-up with the settings you want;
     * calling it again with the same settings changes nothing). Stored with the topic, so every
     * connection and the CLI see it; {@link Retention#forever()} keeps everything again from now on.
     *
     * <pre>{@code
     * streamable.configureTopic("orders", Retention.maxAge(Duration.ofDays(7)));
     * }</pre>
     *
     * @param topic     the topic's name
     * @param retention how long it keeps its messages
     * @throws IllegalArgumentException if {@code topic} is not a legal name, or the backend cannot
     *                                  enforce a limit of {@code retention} (the message says which)
     * @throws UnsupportedOperationException if the backend module predates retention
     */
    default void configureTopic(String topic, Retention retention) {
        Objects.requireNonNull(retention, "retention is null: pass Retention.forever() to keep every message");
        TopicStore store = backend().topic(TopicName.requireValid(topic));
        if (!store.retention().equals(retention)) {
            store.setRetention(retention);
        }
    }

    /**
     * What a topic holds now: its retention, and its oldest and newest positions and times.
     *
     * @param topic the topic's name
     * @return a snapshot of the topic
     * @throws IllegalArgumentException if {@code topic} is not a legal name or does not exist
     * @throws UnsupportedOperationException if the backend module predates retention
     */
    default TopicDescription describeTopic(String topic) {
        // asking for the store would create a topic that does not exist
        if (!backend().listTopics().contains(TopicName.requireValid(topic))) {
            throw new IllegalArgumentException("Topic \"" + topic + "\" does not exist on " + backend().describe()
                    + "; the topics are " + new TreeSet<>(backend().listTopics()));
        }
        return backend().topic(topic).describeTopic();
    }

    private static String requireConsumerName(String consumerName) {
        if (!TopicName.isValid(consumerName)) {
            throw new IllegalArgumentException("Invalid consumer name " + (consumerName == null ? "null" : '"'
                    + consumerName + '"') + ": use the name the consumer was started with (ConsumerBuilder.name)");
        }
        return consumerName;
    }

    /**
     * The backend connection beneath, for administration tools and backend-specific features;
     * applications should not need it.
     *
     * @return the backend this {@code Streamable} opened
     */
    Backend backend();

    /** The backend URL, passwords masked. */
    @Override
    String toString();

    /** Closes every consumer and producer made by this instance, then the backend. Idempotent. */
    @Override
    void close();
}
