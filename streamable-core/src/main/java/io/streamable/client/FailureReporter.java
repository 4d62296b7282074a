package io.streamable.client;

import io.streamable.Position;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.ConsumerFailure.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Reports a consumer's failures one way, whatever thread they happen on: to its failure listener
 * if it has one, and to the log, with topic and position. A stop is logged as an error and a
 * skipped or dead-lettered message as a warning, also when a listener hears of them, so none is
 * silent; backend retries go to the log only when no listener takes them.
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
        } else if (outcome != Outcome.RETRYING || settings.failureListener().isEmpty()) {
            LOG.warn("{}", failure); // a message skipped or dead-lettered is always in the log
        } else {
            LOG.debug("{}", failure); // the listener hears of every retry; the log need not repeat them
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
