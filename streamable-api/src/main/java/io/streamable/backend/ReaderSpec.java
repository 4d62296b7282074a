package io.streamable.backend;

import io.streamable.consume.StartFrom;

import java.util.Objects;
import java.util.Optional;

/**
 * What a reader should read.
 *
 * @param start        where to start; for a named reader only when no position is saved
 * @param consumerName the name whose position is saved and resumed, empty for an anonymous reader
 */
public record ReaderSpec(StartFrom start, Optional<String> consumerName) {
    public ReaderSpec {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(consumerName, "consumerName");
    }

    /** An anonymous reader. */
    public static ReaderSpec anonymous(StartFrom start) {
        return new ReaderSpec(start, Optional.empty());
    }

    /** A named reader. */
    public static ReaderSpec named(String consumerName, StartFrom fallback) {
        return new ReaderSpec(fallback, Optional.of(consumerName));
    }
}
