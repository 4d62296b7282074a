package io.streamable.backend;

import java.util.Set;

/**
 * An open connection to a storage backend: the SPI a backend implements. The framework adds
 * typing, consumer loops, failure policies and ordering on top; a backend only stores and reads
 * bytes. Thread-safe; {@link #close()} is idempotent.
 */
public interface Backend extends AutoCloseable {

    /**
     * The store for a topic, created on first use. The name has passed
     * {@link io.streamable.TopicName#requireValid(String)}, or is a framework-internal name
     * ({@link io.streamable.TopicName#isInternal(String)}, for example {@code __schemas.orders}),
     * which the backend stores like any other; {@link io.streamable.TopicName#requireStorable(String)}
     * accepts exactly these names. Cheap to call repeatedly.
     *
     * @param name the topic name, legal or framework-internal
     * @return the topic's store, never {@code null}
     */
    TopicStore topic(String name);

    /**
     * Names of the topics this backend stores, framework-internal ones
     * ({@link io.streamable.TopicName#isInternal(String)}) excluded.
     *
     * @return the user topics' names; an empty set when there are none
     */
    Set<String> listTopics();

    /**
     * Deletes a topic with its messages and its consumers' saved positions, and its schema topic
     * ({@link io.streamable.TopicName#schemaTopicOf(String)}); it leaves {@link #listTopics()}.
     * Deleting a topic that does not exist does nothing. Using the name again later creates a new,
     * empty topic. Backends that predate this method throw {@link UnsupportedOperationException}.
     *
     * @param name a legal topic name ({@link io.streamable.TopicName#requireValid(String)})
     * @throws IllegalArgumentException if {@code name} is not a legal topic name, for example a
     *                                  framework-internal one, which goes with its topic
     * @throws io.streamable.consume.ConsumerNameInUseException if a live named consumer reads the
     *                                                         topic; close it first
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default void deleteTopic(String name) {
        throw new UnsupportedOperationException("This backend (" + describe() + ") cannot delete topics:"
                + " upgrade the backend module to one that implements Backend.deleteTopic");
    }

    /** {@return the URL this backend was opened with, passwords masked, for logs and errors} */
    String describe();

    @Override
    void close();
}
