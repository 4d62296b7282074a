package io.streamable.consume;

import io.streamable.Message;

/**
 * Handles one message. Returning normally acknowledges it; throwing (an {@link Error} too) hands
 * it to the consumer's {@link FailurePolicy}. A handler may block; it is interrupted when its
 * consumer is closed and does not return within the consumer's close timeout, and should then
 * return: a handler that ignores the interrupt is left running, and its message is delivered
 * again on the next start.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
public interface MessageHandler<T> {
    /**
     * Handles one message; returning normally acknowledges it.
     *
     * @param message the message to handle
     * @throws Exception any failure, handed to the consumer's {@link FailurePolicy}
     */
    void handle(Message<T> message) throws Exception;
}
