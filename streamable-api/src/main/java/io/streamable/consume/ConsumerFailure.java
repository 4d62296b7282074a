package io.streamable.consume;

import io.streamable.Position;

import java.util.Optional;

/**
 * A failure a consumer reports to its {@link FailureListener}.
 *
 * @param topic        the topic being consumed
 * @param consumerName the consumer's name, if it is a named consumer
 * @param position     the failed message's position; empty when the failure is not about one
 *                     message (for example the backend went away)
 * @param attempts     how many times the message was tried
 * @param outcome      what the consumer did about it
 * @param cause        the exception thrown by the handler, the codec or the backend
 */
public record ConsumerFailure(String topic, Optional<String> consumerName, Optional<Position> position,
                              int attempts, Outcome outcome, Throwable cause) {

    /**
     * What the consumer did after the failure. {@link FailurePolicy#whenExhausted()} names the
     * same decision in advance: stopped, skipped or dead-lettered.
     */
    public enum Outcome {
        /** The consumer stopped; it has not passed the failed message. */
        STOPPED,
        /** The message was skipped. */
        SKIPPED,
        /** The message was appended to the dead-letter topic. */
        DEAD_LETTERED,
        /** A transient backend problem; the consumer keeps trying. */
        RETRYING
    }

    @Override
    public String toString() {
        return "Consumer " + consumerName.orElse("(unnamed)") + " on topic " + topic
                + position.map(p -> " at position " + p).orElse("") + " " + outcome
                + " after " + attempts + " attempt(s): " + cause;
    }
}
