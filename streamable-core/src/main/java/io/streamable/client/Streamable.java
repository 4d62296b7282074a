package io.streamable.client;

import io.streamable.Topic;
import io.streamable.backend.Backend;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;
import io.streamable.schema.SchemaRegistry;

import java.util.Set;

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
     * @throws IllegalStateException if schema support is off (a non-JSON codec, or
     *                               {@link StreamableBuilder#schemaRegistry(boolean)} false)
     */
    SchemaRegistry schemas();

    /** {@return the names of the topics stored in the backend, framework-internal ones excluded} */
    Set<String> topics();

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
