package io.streamable.consume;

import io.streamable.consume.ConsumerFailure.Outcome;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What a consumer does when its handler throws (an {@link Error} included), when a payload does
 * not decode, or when the backend found a record it cannot read in its own shape.
 *
 * <p>A failing message is first retried, up to {@code maxAttempts} attempts in all, waiting an
 * exponentially growing backoff between attempts. Undecodable payloads and unreadable records are
 * poison messages and not retried: decoding again cannot succeed; their error names the topic, the
 * position and what is wrong. Then {@link #whenExhausted()} decides, and the consumer reports
 * that same {@link Outcome} in its {@link ConsumerFailure}:
 * <ul>
 *   <li>{@link Outcome#STOPPED} (the default, {@link #thenStop()}): the consumer stops and reports
 *       the failure; its saved position stays before the failed message, so a restart delivers it
 *       again.</li>
 *   <li>{@link Outcome#SKIPPED} ({@link #thenSkip()}): the failure is reported and the consumer
 *       moves on.</li>
 *   <li>{@link Outcome#DEAD_LETTERED} ({@link #thenDeadLetter(String)}): the message, payload bytes
 *       untouched, is appended to the dead-letter topic with headers describing the failure, and
 *       the consumer moves on.</li>
 * </ul>
 *
 * <pre>{@code
 * FailurePolicy.retry(5).withBackoff(Duration.ofMillis(50), Duration.ofSeconds(2)).thenDeadLetter("orders.dlq")
 * }</pre>
 *
 * @param maxAttempts       attempts per message, at least 1
 * @param initialBackoff    wait before the second attempt
 * @param maxBackoff        the backoff never grows beyond this
 * @param whenExhausted     what happens after the last failed attempt: stopped, skipped or
 *                          dead-lettered
 * @param deadLetterTopic   the topic for {@link Outcome#DEAD_LETTERED}
 */
public record FailurePolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                            Outcome whenExhausted, Optional<String> deadLetterTopic) {

    /** Header naming the topic a dead-lettered message came from. */
    public static final String DLQ_SOURCE_TOPIC = "streamable.dlq.topic";
    /** Header with the encoded position a dead-lettered message had in its source topic. */
    public static final String DLQ_SOURCE_POSITION = "streamable.dlq.position";
    /** Header with the failure's description. */
    public static final String DLQ_ERROR = "streamable.dlq.error";
    /** Header naming the consumer that gave up on the message. */
    public static final String DLQ_CONSUMER = "streamable.dlq.consumer";

    /**
     * Checks the components: at least one attempt, {@code 0 <= initialBackoff <= maxBackoff}, an
     * outcome that ends the message's attempts (not {@link Outcome#RETRYING}), and a dead-letter
     * topic exactly when {@code whenExhausted} is {@link Outcome#DEAD_LETTERED}.
     *
     * @param maxAttempts       attempts per message, at least 1
     * @param initialBackoff    wait before the second attempt
     * @param maxBackoff        the backoff never grows beyond this
     * @param whenExhausted     what happens after the last failed attempt: stopped, skipped or
     *                          dead-lettered
     * @param deadLetterTopic   the topic for {@link Outcome#DEAD_LETTERED}
     */
    public FailurePolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("Backoff must satisfy 0 <= initial <= max, got " + initialBackoff
                    + " and " + maxBackoff);
        }
        Objects.requireNonNull(whenExhausted, "whenExhausted");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        if (whenExhausted == Outcome.RETRYING) {
            throw new IllegalArgumentException("whenExhausted cannot be RETRYING: once every attempt has failed the"
                    + " consumer stops, skips or dead-letters the message; use thenStop(), thenSkip() or"
                    + " thenDeadLetter(topic)");
        }
        if ((whenExhausted == Outcome.DEAD_LETTERED) != deadLetterTopic.isPresent()) {
            throw new IllegalArgumentException("A dead-letter topic goes with Outcome.DEAD_LETTERED and only with it");
        }
    }

    /** {@return the default: 3 attempts, 100 ms growing to 5 s, then stop} */
    public static FailurePolicy defaults() {
        return retry(3);
    }

    /**
     * Up to {@code maxAttempts} attempts with the default backoff, then stop.
     *
     * @param maxAttempts how many times the handler is called for one message, at least 1
     * @return a policy that stops the consumer when the attempts are used up
     */
    public static FailurePolicy retry(int maxAttempts) {
        return new FailurePolicy(maxAttempts, Duration.ofMillis(100), Duration.ofSeconds(5), Outcome.STOPPED,
                Optional.empty());
    }

    /** {@return a policy of one attempt, then stop: the strictest policy} */
    public static FailurePolicy stopOnFirstFailure() {
        return retry(1);
    }

    /**
     * The same policy with another backoff.
     *
     * @param initial the wait after the first failed attempt, doubling after each further one
     * @param max     the longest wait
     * @return a new policy
     */
    public FailurePolicy withBackoff(Duration initial, Duration max) {
        return new FailurePolicy(maxAttempts, initial, max, whenExhausted, deadLetterTopic);
    }

    /**
     * The same retries, then stop the consumer.
     *
     * @return a new policy
     */
    public FailurePolicy thenStop() {
        return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.STOPPED, Optional.empty());
    }

    /**
     * The same retries, then report and skip the message.
     *
     * @return a new policy
     */
    public FailurePolicy thenSkip() {
        return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.SKIPPED, Optional.empty());
    }

    /**
     * The same retries, then move the message to {@code topicName} and continue.
     *
     * @param topicName the dead-letter topic; must be a legal topic name
     * @return a new policy
     */
    public FailurePolicy thenDeadLetter(String topicName) {
        return new FailurePolicy(maxAttempts, initialBackoff, maxBackoff, Outcome.DEAD_LETTERED,
                Optional.of(io.streamable.TopicName.requireValid(topicName)));
    }

    /**
     * The wait before attempt {@code attempt + 1}, given that {@code attempt} attempts failed.
     *
     * @param attempt how many attempts have failed so far, at least 1
     * @return the backoff, doubling from {@code initialBackoff} and capped at {@code maxBackoff}
     */
    public Duration backoffAfter(int attempt) {
        long millis = initialBackoff.toMillis();
        for (int i = 1; i < attempt && millis < maxBackoff.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
    }
}
