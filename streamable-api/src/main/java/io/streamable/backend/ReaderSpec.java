package io.streamable.backend;

import io.streamable.consume.StartFrom;

import java.util.Objects;
import java.util.Optional;

/**
 * What a reader should read.
 *
 * @param start        where to start; for a named reader only when no position is saved. Always
 *                     concrete: {@link StartFrom#beginning()} or {@link StartFrom#after(io.streamable.Position)};
 *                     the framework resolves {@link StartFrom#latest()} with {@link TopicStore#head()}
 *                     and {@link StartFrom#at} with {@link TopicStore#positionBefore}, and clamps a position beyond the head before a backend sees it
 * @param consumerName the name whose position is saved and resumed, empty for an anonymous reader
 */
public record ReaderSpec(StartFrom start, Optional<String> consumerName) {
    /**
     * Checks that the start is concrete: {@link StartFrom#latest()} must be resolved first.
     *
     * @param start        where to start; for a named reader only when no position is saved. Always
     *        concrete: {@link StartFrom#beginning()} or {@link StartFrom#after(io.streamable.Position)};
     *        the framework resolves {@link StartFrom#latest()} with {@link TopicStore#head()}
     *        and clamps a position beyond the head before a backend sees it
     * @param consumerName the name whose position is saved and resumed, empty for an anonymous reader
     */
    public ReaderSpec {
        Objects.requireNonNull(start, "ReaderSpec needs a start: StartFrom.beginning() or StartFrom.after(position)");
        Objects.requireNonNull(consumerName, "ReaderSpec needs a consumer name or Optional.empty() for an anonymous reader");
        if (start instanceof StartFrom.Latest) {
            throw new IllegalArgumentException("ReaderSpec takes a concrete start: resolve StartFrom.latest() with"
                    + " TopicStore.head() first (StartFrom.after(head), or beginning() for an empty topic)");
        }
        if (start instanceof StartFrom.At) {
            throw new IllegalArgumentException("ReaderSpec takes a concrete start: resolve StartFrom.at(instant) with"
                    + " TopicStore.positionBefore(instant) first (StartFrom.after(it), or beginning() when empty)");
        }
    }

    /**
     * An anonymous reader.
     *
     * @param start where to start; concrete, as for {@link #start()}
     * @return the spec
     */
    public static ReaderSpec anonymous(StartFrom start) {
        return new ReaderSpec(start, Optional.empty());
    }

    /**
     * A named reader.
     *
     * @param consumerName the name whose position is saved and resumed
     * @param fallback     where to start when the name has no saved position; concrete, as for {@link #start()}
     * @return the spec
     */
    public static ReaderSpec named(String consumerName, StartFrom fallback) {
        return new ReaderSpec(fallback, Optional.of(consumerName));
    }
}
