package io.streamable.state;

import java.util.Objects;
import java.util.Optional;

/**
 * What an update did.
 *
 * @param key      the key updated
 * @param status   whether the update was written or refused as already applied
 * @param previous the value before the update; empty if the key had none
 * @param value    the value now stored; empty if the key has none (never set, or deleted)
 * @param version  the key's version now stored: one more than before when written, unchanged
 *                 when refused, 0 when the key has never been written
 * @param <V>      the value type
 */
public record UpdateResult<V>(String key, Status status, Optional<V> previous, Optional<V> value, long version) {

    /** Whether an update was written. */
    public enum Status {
        /** The function ran on the current value and its result was stored. */
        APPLIED,
        /**
         * Refused: the key already records an update from this source's topic at this position or
         * a newer one, so this message's effect is already part of the value. Nothing was written.
         */
        ALREADY_APPLIED
    }

    public UpdateResult {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(value, "value");
    }

    /** Whether this call wrote its update. */
    public boolean applied() {
        return status == Status.APPLIED;
    }

    /** Whether this call was refused because its source was already applied. */
    public boolean alreadyApplied() {
        return status == Status.ALREADY_APPLIED;
    }
}
