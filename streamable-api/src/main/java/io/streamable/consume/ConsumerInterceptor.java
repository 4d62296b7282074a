package io.streamable.consume;

import io.streamable.Message;

import java.util.List;
import java.util.Optional;

/**
 * Wraps every handler call of every consumer of one {@code Streamable}: each attempt at a message
 * passes through it, so it can time the handler, count outcomes, or run it inside a trace span
 * continued from the message's headers. Installed with {@code StreamableBuilder.interceptor(...)};
 * several run in the order they were added, the first outermost.
 */
@FunctionalInterface
public interface ConsumerInterceptor {

    /**
     * Handles {@code message} by calling {@code next} (normally exactly once) and lets whatever it
     * throws propagate, so the consumer's failure policy still decides what happens.
     *
     * @param consumerName the consumer's name, empty for an anonymous consumer
     * @param message      the message
     * @param next         the rest of the chain, ending at the consumer's handler
     * @param <T>          the payload type
     * @throws Exception what {@code next} threw, or the interceptor's own failure
     */
    <T> void aroundHandle(Optional<String> consumerName, Message<T> message, MessageHandler<T> next) throws Exception;

    /**
     * The handler that runs {@code handler} through {@code interceptors}, the first outermost.
     *
     * @param interceptors the interceptors, outermost first
     * @param consumerName the consumer's name, empty for an anonymous consumer
     * @param handler      the consumer's own handler
     * @param <T>          the payload type
     * @return the wrapped handler, {@code handler} itself when there are no interceptors
     */
    static <T> MessageHandler<T> chain(List<ConsumerInterceptor> interceptors, Optional<String> consumerName,
                                       MessageHandler<T> handler) {
        MessageHandler<T> chained = handler;
        for (int i = interceptors.size() - 1; i >= 0; i--) {
            ConsumerInterceptor interceptor = interceptors.get(i);
            MessageHandler<T> next = chained;
            chained = message -> interceptor.aroundHandle(consumerName, message, next);
        }
        return chained;
    }
}
