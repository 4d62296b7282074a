package io.streamable.produce;

import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.Topic;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Appends typed messages to the end of one topic. Thread-safe: share one producer between threads.
 *
 * <p>A future completes once the backend has durably accepted the message, with the position it
 * assigned. Messages with one sharding key appended from one thread, or in one batch, are stored
 * in that order. A future that fails means the message may or may not be stored: a consumer
 * never sees a message partly written, nor a position with nothing behind it, but a batch whose
 * future failed may have been stored in part (a prefix of it, in order, on single-log backends),
 * so retrying a failed append may store a message twice. Handlers are at-least-once anyway; make
 * them idempotent, or use the shared-state store's apply-once updates.
 *
 * @param <T> the payload type
 */
public interface Producer<T> extends AutoCloseable {

    /** {@return the topic this producer appends to} */
    Topic<T> topic();

    /**
     * Appends one message.
     *
     * @param message the message
     * @return a future of its position, completed once the backend has stored it
     */
    CompletableFuture<Position> append(OutgoingMessage<T> message);

    /**
     * Appends several messages in one round trip where the backend can, keeping their order. The
     * positions are in the order of {@code messages}.
     *
     * @param messages the messages, in the order to store them
     * @return a future of their positions, completed once the backend has stored all of them
     */
    CompletableFuture<List<Position>> appendAll(List<OutgoingMessage<T>> messages);

    /**
     * Appends a payload under a sharding key.
     *
     * @param shardingKey the id of the entity the message is about; messages with one key stay in order
     * @param payload     the payload, never null
     * @return a future of its position, completed once the backend has stored it
     */
    default CompletableFuture<Position> append(String shardingKey, T payload) {
        return append(OutgoingMessage.of(shardingKey, payload));
    }

    /**
     * Appends one message and waits until the backend has accepted it.
     *
     * @param message the message
     * @return its position
     */
    default Position appendAndWait(OutgoingMessage<T> message) {
        return await(append(message));
    }

    /**
     * Appends a payload under a sharding key and waits until the backend has accepted it.
     *
     * @param shardingKey the id of the entity the message is about; messages with one key stay in order
     * @param payload     the payload, never null
     * @return its position
     */
    default Position appendAndWait(String shardingKey, T payload) {
        return await(append(shardingKey, payload));
    }

    /**
     * Appends a batch and waits until the backend has accepted all of it.
     *
     * @param messages the messages, in the order to store them
     * @return their positions, in the order of {@code messages}
     */
    default List<Position> appendAllAndWait(List<OutgoingMessage<T>> messages) {
        return await(appendAll(messages));
    }

    /**
     * Releases what this producer holds. Appends already accepted complete; idempotent. Closing a
     * producer does not close the {@code Streamable} that made it.
     */
    @Override
    void close();

    private static <R> R await(CompletableFuture<R> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while waiting for an append; it may or may not be stored", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new StreamableException("Append failed: " + cause, cause);
        }
    }
}
