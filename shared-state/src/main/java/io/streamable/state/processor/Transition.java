package io.streamable.state.processor;

import io.streamable.Message;

import java.util.Optional;

/**
 * How one message changes a key's state, and what it emits. Called with the key's current value;
 * it may be called more than once for one message when concurrent writers collide, and not at all
 * when the message was already applied, so it must be free of side effects: only its returned
 * {@link Step} counts.
 *
 * @param <T> the input payload type
 * @param <V> the state type
 * @param <O> the output payload type ({@code Void} without an output topic)
 */
@FunctionalInterface
public interface Transition<T, V, O> {

    /**
     * The next state of the key and the messages to derive, given its current state.
     *
     * @param state   the key's current state; empty when it has none
     * @param message the message being handled
     * @return the key's next state and the messages to derive
     * @throws Exception to fail the message; the processor's failure policy decides what happens next
     */
    Step<V, O> apply(Optional<V> state, Message<T> message) throws Exception;
}
