package io.streamable.client;

import io.streamable.Position;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.ConsumerFailure.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Reports a consumer's failures one way, whatever thread they happen on: to its failure listener
 * if it has one, and to the log. A stop is always logged as an error with topic and position, so
 * it is never silent, also when the listener throws.
 */
final class FailureReporter {
    private static final Logger LOG = LoggerFactory.getLogger(FailureReporter.class);

    private final ConsumerSettings<?> settings;

    FailureReporter(ConsumerSettings<?> settings) {
        this.settings = settings;
    }

    void report(Optional<Position> position, int attempts, Outcome outcome, Throwable cause) {
        ConsumerFailure failure = new ConsumerFailure(settings.topic().name(), settings.name(), position, attempts,
                outcome, cause);
        if (outcome == Outcome.STOPPED) {
            LOG.error("{}", failure, cause);
        } else if (settings.failureListener().isEmpty()) {
            LOG.warn("{}", failure);
        }
        settings.failureListener().ifPresent(listener -> {
            try {
                listener.onFailure(failure);
            } catch (RuntimeException e) {
                LOG.warn("The failure listener of {} threw while reporting {}", settings.description(), failure, e);
            }
        });
    }
}
