package io.streamable.consume;

import io.streamable.Position;
import io.streamable.Topic;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A running consumer: it delivers every message of a topic from its start onwards to its handler,
 * then waits, woken by the backend, and delivers new messages as they arrive, until closed.
 *
 * <p>Created by a {@link ConsumerBuilder}. A named consumer saves its position in the backend
 * after its handler succeeds and resumes after it on the next start (at-least-once: messages
 * handled after the last save may be delivered again after a crash).
 *
 * @param <T> the payload type
 */
public interface Consumer<T> extends AutoCloseable {

    /** {@return the topic being consumed} */
    Topic<T> topic();

    /** {@return the name under which this consumer saves its position; empty for an anonymous consumer} */
    Optional<String> name();

    /**
     * The position up to which everything is acknowledged: the start position (a saved position,
     * a given one, or the head for {@code latest}) folded with every message handled, skipped or
     * dead-lettered since. Empty for a consumer that started at the beginning and has not
     * handled anything yet. For a member of a consumer group it covers the messages of the slots
     * it owns (it restarts lower after a rebalance gave it a slot that is behind).
     *
     * @return the acknowledged position, or empty when nothing has been acknowledged yet
     */
    Optional<Position> position();

    /**
     * How many stored messages lie after {@link #position()}: how far behind the head this consumer is.
     * For a member of a consumer group, only the messages of its own slots count.
     *
     * @return the number of stored messages not yet acknowledged; 0 when caught up
     */
    long lag();

    /**
     * The share of the topic this instance handles, when it is a member of a consumer group
     * (a named consumer on a backend with consumer groups): which of the group's slots it owns now.
     * Changes as instances with the same name start and stop.
     *
     * @return its assignment now; empty for an anonymous consumer, and on a backend without consumer groups
     */
    default Optional<GroupAssignment> assignment() {
        return Optional.empty();
    }

    /**
     * Whether the consumer is still delivering: false once closed or stopped by a failure.
     *
     * @return {@code true} until the consumer is closed or a failure stops it
     */
    boolean isRunning();

    /**
     * Completes normally when the consumer is closed, exceptionally with the cause when a failure
     * stopped it: the failure policy's stop (naming topic and position), a
     * {@link ConsumerFencedException} when another consumer took its name over, or, after
     * {@link #close()}, an exception naming the messages whose handlers had still not returned
     * after being interrupted (they are delivered again on the next start).
     *
     * @return a future that completes once the consumer has stopped
     */
    CompletableFuture<Void> stopped();

    /**
     * Waits until the consumer has caught up for the first time since it started: it has handled
     * everything that was stored when it got there (what {@code onCaughtUp} announces). Useful in
     * programs and tests that produce, then consume what they produced.
     *
     * @param timeout how long to wait at most
     * @throws TimeoutException                      if it has not caught up within {@code timeout}
     * @throws io.streamable.StreamableException      if the consumer stopped (closed or failed) before
     *                                                catching up; the cause is the failure, if any
     * @throws InterruptedException                   if the waiting thread is interrupted
     */
    void awaitCaughtUp(Duration timeout) throws TimeoutException, InterruptedException;

    /**
     * Stops delivery and saves the position of what was handled, then releases the consumer's
     * name. No message starts once close has begun, except messages read before it that lie
     * below one already started (with {@code concurrency(n)} keys move at their own pace); those
     * finish too, so after a clean close the saved position covers exactly what was handled and
     * a restart delivers nothing twice. Running handlers get the close timeout, are then
     * interrupted and get it once more; the name is released even if a handler never returns
     * (the log and {@link #stopped()} say which). Idempotent and safe to call from any thread;
     * from a handler it returns at once and the consumer stops after that handler returns.
     */
    @Override
    void close();
}
