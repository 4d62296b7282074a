package io.streamable.consume;

import java.time.Duration;

/**
 * Options for a new {@link Consumer}. Only {@link #handler} is required.
 *
 * <pre>{@code
 * Consumer<Order> consumer = streamable.consumer(orders)
 *     .name("billing")                       // saves and resumes its position
 *     .startFrom(StartFrom.beginning())      // the first time only
 *     .handler(message -> bill(message.payload()))
 *     .onCaughtUp(() -> log.info("caught up"))
 *     .failurePolicy(FailurePolicy.retry(5).thenDeadLetter("orders.dlq"))
 *     .start();
 * }</pre>
 *
 * @param <T> the payload type
 */
public interface ConsumerBuilder<T> {

    /**
     * Makes this a named consumer: its position is saved in the backend under this name and a
     * later consumer with the same name resumes after it.
     *
     * <p>A name is a consumer group: live consumers with the same name on one topic (in this
     * process or others) split the topic's sharding keys between them, each key handled by one of
     * them at a time, in order, and a key that moves to another instance continues right after
     * the last position saved for it. One live instance handles everything. On a backend without
     * consumer groups a second live instance fails with {@link ConsumerNameInUseException}.
     *
     * @param consumerName the name under which the position is saved
     * @return this builder
     */
    ConsumerBuilder<T> name(String consumerName);

    /**
     * Where to start; for a named consumer, only when it has no saved position. Default: beginning.
     * A consumer given {@link StartFrom#at(java.time.Instant)} never receives a message created
     * before that instant, also when it resumes by name.
     *
     * @param startFrom where a consumer without a saved position begins
     * @return this builder
     */
    ConsumerBuilder<T> startFrom(StartFrom startFrom);

    /**
     * The handler; required.
     *
     * @param handler called once per message, on the consumer's threads
     * @return this builder
     */
    ConsumerBuilder<T> handler(MessageHandler<T> handler);

    /**
     * Called each time the consumer has handled everything available and starts waiting: once
     * after the initial drain, then again after each later burst.
     *
     * @param callback the action to run each time the consumer catches up
     * @return this builder
     */
    ConsumerBuilder<T> onCaughtUp(Runnable callback);

    /**
     * Called when retention removed messages this consumer had not read yet (it was stopped too
     * long, or too slow): it resumes at the oldest message still stored, the gap is logged as a
     * warning naming how many positions were removed unread, and {@code listener} is told. Never
     * an error and never a silent jump. Default: the warning only.
     *
     * @param listener receives each {@link RetentionGap}, on the consumer's read thread
     * @return this builder
     */
    default ConsumerBuilder<T> onRetentionGap(RetentionGapListener listener) {
        throw new UnsupportedOperationException("This ConsumerBuilder (" + getClass().getName() + ") does not"
                + " support onRetentionGap: use the one Streamable.consumer(topic) returns");
    }

    /**
     * Called each time the slots this instance owns in its consumer group change, after the change
     * took effect: slots revoked once what it was handed from them is handled and saved, slots
     * assigned before their first message is handed to the handler. The first call comes when the
     * instance gets its first share (all slots when it is the group's only live instance); the last
     * when it stops (closed, fenced or failed) while owning slots, revoking them all. Kafka users
     * know this as {@code ConsumerRebalanceListener}'s {@code onPartitionsRevoked} and
     * {@code onPartitionsAssigned}. Never called for an anonymous consumer, nor on a backend
     * without consumer groups. What the listener throws is logged and ignored: the consumer goes on.
     * Default: nothing but a debug log line.
     *
     * @param listener receives each {@link AssignmentChange}, on the consumer's read thread
     * @return this builder
     */
    default ConsumerBuilder<T> onAssignmentChange(AssignmentListener listener) {
        throw new UnsupportedOperationException("This ConsumerBuilder (" + getClass().getName() + ") does not"
                + " support onAssignmentChange: use the one Streamable.consumer(topic) returns");
    }

    /**
     * Receives every failure; by default failures are logged.
     *
     * @param listener receives each {@link ConsumerFailure}; replaces the default logging
     * @return this builder
     */
    ConsumerBuilder<T> onFailure(FailureListener listener);

    /**
     * What to do when the handler throws; default {@link FailurePolicy#defaults()}.
     *
     * @param policy retries, backoff and what happens after the last attempt
     * @return this builder
     */
    ConsumerBuilder<T> failurePolicy(FailurePolicy policy);

    /**
     * Handles messages on up to {@code threads} threads at once. Messages with one sharding key
     * still run one at a time and in order; each key has its own queue, so a slow key does not
     * hold back the others (reading pauses only when four batches' worth of messages are read but
     * not handled). With 1, the default, messages run in the order they were read, across keys too.
     *
     * @param threads how many handlers may run at once; at least 1
     * @return this builder
     */
    ConsumerBuilder<T> concurrency(int threads);

    /**
     * Saves a named consumer's position after every {@code messages} handled messages or every
     * {@code interval}, whichever comes first, and always when it catches up or closes. Default:
     * 500 messages or 1 second. {@code commitEvery(1, Duration.ZERO)} saves after every message.
     *
     * @param messages save after at most this many handled messages; at least 1
     * @param interval save at least this often; {@code Duration.ZERO} saves after every message
     * @return this builder
     */
    ConsumerBuilder<T> commitEvery(int messages, Duration interval);

    /**
     * The most messages read from the backend at once; default 500.
     *
     * @param messages the batch size; at least 1
     * @return this builder
     */
    ConsumerBuilder<T> batchSize(int messages);

    /**
     * How long {@link Consumer#close()} waits for a running handler before interrupting it; default 5 s.
     *
     * @param timeout how long to wait for a running handler
     * @return this builder
     */
    ConsumerBuilder<T> closeTimeout(Duration timeout);

    /**
     * Starts the consumer; delivery begins on its own thread. The options are copied: changing
     * or reusing this builder afterwards does not affect the consumer started.
     *
     * @return the running consumer, which the caller closes
     * @throws ConsumerNameInUseException if a live consumer already uses this name on this topic and the
     *                                    backend has no consumer groups
     * @throws IllegalStateException      if no handler was given
     */
    Consumer<T> start();
}
