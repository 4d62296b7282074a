package io.streamable.consume;

import io.streamable.Position;

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
}
