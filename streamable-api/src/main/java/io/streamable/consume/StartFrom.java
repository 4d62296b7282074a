package io.streamable.consume;

import io.streamable.Position;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a consumer starts reading. For a named consumer this is only the fallback used the first
 * time: once it has saved a position, it always resumes right after it.
 */
public sealed interface StartFrom {

    /** {@return a start at the oldest message still stored} */
    static StartFrom beginning() {
        return Beginning.INSTANCE;
    }

    /** {@return a start at the head: only messages appended after the consumer started} */
    static StartFrom latest() {
        return Latest.INSTANCE;
    }

    /**
     * The messages after {@code position}, see {@link Position} for partitioned topics.
     *
     * @param position the last position not to deliver
     * @return a start after {@code position}
     */
    static StartFrom after(Position position) {
        return new After(position);
    }

    /**
     * The messages created at or after {@code instant}: exactly those whose {@code createdAt} is
     * not before it, like Kafka's {@code offsetsForTimes} (per partition) or SeaStreamer's
     * {@code seek(Timestamp)}. The framework finds the position to start after without scanning the
     * topic and drops the few messages after it that were created earlier (several producers' clocks
     * make {@code createdAt} only roughly ascending). The filter holds for every start of a consumer
     * given this start, restarts by name included. An instant in the future delivers the messages
     * created from then on.
     *
     * @param instant the earliest {@code createdAt} to deliver
     * @return a start at {@code instant}
     */
    static StartFrom at(Instant instant) {
        return new At(instant);
    }

    /** Start at the oldest stored message. */
    enum Beginning implements StartFrom {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "beginning";
        }
    }

    /** Start at the head: only messages appended from now on. */
    enum Latest implements StartFrom {
        /** The only value. */
        INSTANCE;

        @Override
        public String toString() {
            return "latest";
        }
    }

    /**
     * Start right after a position.
     *
     * @param position the last position not to deliver
     */
    record After(Position position) implements StartFrom {
        /**
         * Checks that a position is given.
         *
         * @param position the last position not to deliver
         */
        public After {
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String toString() {
            return "after " + position;
        }
    }

    /**
     * Start at the first message created at or after an instant; see {@link StartFrom#at(Instant)}.
     *
     * @param instant the earliest {@code createdAt} to deliver
     */
    record At(Instant instant) implements StartFrom {
        /**
         * Checks that an instant is given.
         *
         * @param instant the earliest {@code createdAt} to deliver
         */
        public At {
            Objects.requireNonNull(instant, "instant");
        }

        @Override
        public String toString() {
            return "at " + instant;
        }
    }
}
