package io.streamable.client;

import io.streamable.Topic;
import io.streamable.consume.FailureListener;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.MessageHandler;
import io.streamable.consume.StartFrom;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A running consumer's settings, copied from its builder at {@code start()}: a builder reused or
 * changed afterwards never affects a consumer already running.
 *
 * @param topic               the topic
 * @param name                the consumer name, empty for an anonymous consumer
 * @param startFrom           where to start when no position is saved
 * @param handler             the message handler
 * @param onCaughtUp          called each time everything available is handled
 * @param failureListener     receives failures; empty to log them
 * @param failurePolicy       retries and what happens after the last one
 * @param concurrency         handler threads; messages of one sharding key run one at a time
 * @param commitEveryMessages save after this many handled messages
 * @param commitInterval      or after this long
 * @param batchSize           the most records read at once
 * @param closeTimeout        how long close() waits for running handlers before interrupting them
 * @param maxInFlight         the most messages read but not yet handled (queued or running)
 */
record ConsumerSettings<T>(Topic<T> topic, Optional<String> name, StartFrom startFrom, MessageHandler<T> handler,
                           Runnable onCaughtUp, Optional<FailureListener> failureListener,
                           FailurePolicy failurePolicy, int concurrency, int commitEveryMessages,
                           Duration commitInterval, int batchSize, Duration closeTimeout, int maxInFlight) {

    /** Room for several batches, so a slow key's backlog does not stop reading for the other keys. */
    static final int IN_FLIGHT_BATCHES = 4;

    ConsumerSettings {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(startFrom, "startFrom");
        Objects.requireNonNull(handler, "A consumer needs a handler: call handler(message -> ...) before start()");
        Objects.requireNonNull(onCaughtUp, "onCaughtUp");
        Objects.requireNonNull(failureListener, "failureListener");
        Objects.requireNonNull(failurePolicy, "failurePolicy");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (concurrency < 1 || commitEveryMessages < 1 || batchSize < 1 || maxInFlight < 1) {
            throw new IllegalArgumentException("concurrency, commitEvery, batchSize and maxInFlight must be at least 1");
        }
    }

    /** These settings with another caught-up callback. */
    ConsumerSettings<T> withOnCaughtUp(Runnable callback) {
        return new ConsumerSettings<>(topic, name, startFrom, handler, callback, failureListener, failurePolicy,
                concurrency, commitEveryMessages, commitInterval, batchSize, closeTimeout, maxInFlight);
    }

    /** What the consumer calls itself in logs and errors. */
    String description() {
        return "consumer " + name.map(n -> '"' + n + '"').orElse("(unnamed)") + " of topic \"" + topic.name() + "\"";
    }

    /** The prefix of the consumer's thread names. */
    String threadName() {
        return "streamable-" + topic.name() + name.map(n -> "-" + n).orElse("");
    }
}
