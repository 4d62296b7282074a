package io.streamable.state.processor;

import io.streamable.produce.OutgoingMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a {@link Transition}: the key's new state (empty deletes it) and the messages to
 * append to the processor's output topic if, and only if, this state update is the one applied.
 *
 * <pre>{@code
 * return Step.of(account.withdraw(amount), OutgoingMessage.of(accountId, new Withdrawn(txId, amount)));
 * }</pre>
 *
 * @param state the new state; empty to delete the key
 * @param emit  messages for the output topic, in order
 * @param <V>   the state type
 * @param <O>   the output payload type
 */
public record Step<V, O>(Optional<V> state, List<OutgoingMessage<O>> emit) {

    /**
     * Checks that a state is given and copies {@code emit}, so the step stays immutable.
     *
     * @param state the new state; empty to delete the key
     * @param emit  messages for the output topic, in order
     */
    public Step {
        Objects.requireNonNull(state, "state: use Optional.empty() to delete the key");
        emit = List.copyOf(emit);
    }

    /**
     * Sets the state, emits nothing.
     *
     * @param state the key's new state
     * @param <V>   the state type
     * @param <O>   the output payload type
     * @return the step
     */
    public static <V, O> Step<V, O> of(V state) {
        return new Step<>(Optional.of(state), List.of());
    }

    /**
     * Sets the state and emits messages.
     *
     * @param state    the key's new state
     * @param messages the messages to append to the output topic
     * @param <V>      the state type
     * @param <O>      the output payload type
     * @return the step
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied
    public static <V, O> Step<V, O> of(V state, OutgoingMessage<O>... messages) {
        return new Step<>(Optional.of(state), List.of(messages));
    }

    /**
     * Deletes the key and emits messages.
     *
     * @param messages the messages to append to the output topic
     * @param <V>      the state type
     * @param <O>      the output payload type
     * @return the step
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array is only copied
    public static <V, O> Step<V, O> delete(OutgoingMessage<O>... messages) {
        return new Step<>(Optional.empty(), List.of(messages));
    }

    /**
     * The same step emitting one more message.
     *
     * @param message the message to append too
     * @return a new step; this one is unchanged
     */
    public Step<V, O> emit(OutgoingMessage<O> message) {
        List<OutgoingMessage<O>> more = new ArrayList<>(emit);
        more.add(Objects.requireNonNull(message, "message"));
        return new Step<>(state, more);
    }

    /**
     * The same step emitting one more payload under a sharding key.
     *
     * @param shardingKey the message's sharding key
     * @param payload     its payload
     * @return a new step; this one is unchanged
     */
    public Step<V, O> emit(String shardingKey, O payload) {
        return emit(OutgoingMessage.of(shardingKey, payload));
    }
}
