package io.streamable.consume;

import io.streamable.Position;

import java.util.Objects;

/**
 * Where a consumer starts reading. For a named consumer this is only the fallback used the first
 * time: once it has saved a position, it always resumes right after it.
 */
public sealed interface StartFrom {

    /** Every message still stored, oldest first. */
    static StartFrom beginning() {
        return Beginning.INSTANCE;
    }

    /** Only messages appended after the consumer started. */
    static StartFrom latest() {
        return Latest.INSTANCE;
    }

    /** The messages after {@code position}, see {@link Position} for partitioned topics. */
    static StartFrom after(Position position) {
        return new After(position);
    }

    /** Start at the oldest stored message. */
    enum Beginning implements StartFrom {
        INSTANCE;

        @Override
        public String toString() {
            return "beginning";
        }
    }

    /** Start at the head: only messages appended from now on. */
    enum Latest implements StartFrom {
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
        public After {
            Objects.requireNonNull(position, "position");
        }

        @Override
        public String toString() {
            return "after " + position;
        }
    }
}
