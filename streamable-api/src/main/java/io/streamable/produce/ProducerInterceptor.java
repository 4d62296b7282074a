package io.streamable.produce;

import io.streamable.Position;
import io.streamable.Topic;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Wraps every append of every producer of one {@code Streamable}: it may add headers (a trace
 * context), observe the outcome (metrics) or both, without wrapping producers by hand. Installed
 * with {@code StreamableBuilder.interceptor(...)}; several run in the order they were added, the
 * first outermost. Runs on the appending thread; the future's callbacks run where the backend
 * completes it, so keep them short.
 *
 * <pre>{@code
 * ProducerInterceptor counting = new ProducerInterceptor() {
 *     public <T> CompletableFuture<List<Position>> aroundAppend(Topic<T> topic, List<OutgoingMessage<T>> messages,
 *                                                             Append<T> next) {
 *         return next.append(messages).whenComplete((positions, failure) -> count(topic, messages.size(), failure));
 *     }
 * };
 * }</pre>
 */
public interface ProducerInterceptor {

    /**
     * Appends {@code messages} through {@code next}, possibly changed (for example with headers
     * added), and returns its future or one derived from it. It must call {@code next} exactly
     * once with the same number of messages in the same order, or fail the append.
     *
     * @param topic    the topic appended to
     * @param messages the messages of one append, one for {@code Producer.append}
     * @param next     the rest of the chain, ending at the backend
     * @param <T>      the payload type
     * @return the positions of the messages, as {@code next} returned them
     */
    <T> CompletableFuture<List<Position>> aroundAppend(Topic<T> topic, List<OutgoingMessage<T>> messages, Append<T> next);

    /**
     * The rest of the interceptor chain.
     *
     * @param <T> the payload type
     */
    @FunctionalInterface
    interface Append<T> {
        /**
         * Appends the messages.
         *
         * @param messages the messages, in order
         * @return their positions, once durable
         */
        CompletableFuture<List<Position>> append(List<OutgoingMessage<T>> messages);
    }
}
