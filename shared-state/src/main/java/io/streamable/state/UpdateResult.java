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
 * @param pending  for an update with a source: the output pending in the key's outbox for that
 *                 source, the one this update stored when applied, or, when refused as already
 *                 applied, the one the first application stored if it is still not acknowledged
 *                 (see {@link StateStore#computeWithOutput})
 * @param <V>      the value type
 */
public record UpdateResult<V>(String key, Status status, Optional<V> previous, Optional<V> value, long version,
                              Optional<PendingOutput> pending) {

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

    /**
     * Checks that every component but the version is given.
     *
     * @param key      the key updated
     * @param status   whether the update was written or refused as already applied
     * @param previous the value before the update; empty if the key had none
     * @param value    the value now stored; empty if the key has none (never set, or deleted)
     * @param version  the key's version now stored: one more than before when written, unchanged
     *        when refused, 0 when the key has never been written
     * @param pending  for an update with a source: the output pending in the key's outbox for that
     *        source, the one this update stored when applied, or, when refused as already
     *        applied, the one the first application stored if it is still not acknowledged
     *        (see {@link StateStore#computeWithOutput})
     */
    public UpdateResult {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(pending, "pending");
    }

    /**
     * A result without pending output.
     *
     * @param key      the key updated
     * @param status   whether the update was written or refused as already applied
     * @param previous the value before the update; empty if the key had none
     * @param value    the value now stored; empty if the key has none (never set, or deleted)
     * @param version  the key's version now stored: one more than before when written, unchanged
     *        when refused, 0 when the key has never been written
     */
    public UpdateResult(String key, Status status, Optional<V> previous, Optional<V> value, long version) {
        this(key, status, previous, value, version, Optional.empty());
    }

    /** {@return whether this call wrote its update} */
    public boolean applied() {
        return status == Status.APPLIED;
    }

    /** {@return whether this call was refused because its source was already applied} */
    public boolean alreadyApplied() {
        return status == Status.ALREADY_APPLIED;
    }
}
