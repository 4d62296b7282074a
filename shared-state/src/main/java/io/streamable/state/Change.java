package io.streamable.state;

import java.util.Objects;
import java.util.Optional;

/**
 * What an update function of {@link StateStore#computeWithOutput} returns: the key's new value
 * and, optionally, output to keep in the key's outbox, written in the same atomic write as the
 * value, until {@link StateStore#acknowledge(String, Source)}.
 *
 * @param value  the new value; empty deletes the key (leaving a tombstone)
 * @param output bytes to keep pending for the update's source (the caller's own encoding), or
 *               empty for none. The array is not copied: do not modify it.
 * @param <V>    the value type
 */
public record Change<V>(Optional<V> value, Optional<byte[]> output) {

    /**
     * Checks that both components are given; empty is how to say none.
     *
     * @param value  the new value; empty deletes the key (leaving a tombstone)
     * @param output bytes to keep pending for the update's source (the caller's own encoding), or
     *        empty for none. The array is not copied: do not modify it.
     */
    public Change {
        Objects.requireNonNull(value, "value: use Optional.empty() to delete the key");
        Objects.requireNonNull(output, "output: use Optional.empty() for no output");
    }

    /**
     * A new value with output.
     *
     * @param value  the new value
     * @param output the output to keep in the key's outbox
     * @param <V>    the value type
     * @return the change
     */
    public static <V> Change<V> of(V value, byte[] output) {
        return new Change<>(Optional.of(value), Optional.of(output));
    }

    /**
     * A new value without output.
     *
     * @param value the new value
     * @param <V>   the value type
     * @return the change
     */
    public static <V> Change<V> of(V value) {
        return new Change<>(Optional.of(value), Optional.empty());
    }
}
