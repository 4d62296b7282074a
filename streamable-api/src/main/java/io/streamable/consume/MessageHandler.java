package io.streamable.consume;

import io.streamable.Message;

/**
 * Handles one message. Returning normally acknowledges it; throwing hands it to the consumer's
 * {@link FailurePolicy}. A handler may block; it is interrupted when its consumer is closed and
 * does not return within the consumer's close timeout.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
public interface MessageHandler<T> {
    void handle(Message<T> message) throws Exception;
}
