package io.streamable.client;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicStore;
import io.streamable.codec.PayloadCodecException;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.FailurePolicy;
import io.streamable.schema.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Runs one record through the handler under the failure policy: decode (a record the backend
 * could not read, or a payload that does not decode, is a poison message: not retried), call the
 * handler, retry with backoff, then stop, skip or dead-letter. Every failure, {@link Error}s
 * included, goes the same way on every thread. Thread-safe: the dispatcher's workers share it.
 */
final class FailureHandler<T> {
    private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
    private static final Duration DEAD_LETTER_TIMEOUT = Duration.ofSeconds(30);

    /** What became of a record. */
    enum Result {
        /** Handled, skipped or dead-lettered: acknowledged. */
        DONE,
        /** The policy stopped the consumer; the record is not acknowledged. */
        STOP,
        /** Given up because the consumer is closing; not acknowledged, delivered again later. */
        ABANDONED
    }

    private final ConsumerSettings<T> settings;
    private final PayloadDecoder<T> decoder;
    private final Function<String, TopicStore> topics;
    private final FailureReporter reporter;
    private final CountDownLatch closing;
    private final AtomicReference<Throwable> stopCause = new AtomicReference<>();

    /**
     * @param topics  opens a topic of the same backend, for dead letters
     * @param closing counted down when the consumer closes: ends retry backoffs
     */
    FailureHandler(ConsumerSettings<T> settings, PayloadDecoder<T> decoder, Function<String, TopicStore> topics,
                   FailureReporter reporter, CountDownLatch closing) {
        this.settings = settings;
        this.decoder = decoder;
        this.topics = topics;
        this.reporter = reporter;
        this.closing = closing;
    }

    /** Why the policy stopped the consumer, once it did. */
    Optional<Throwable> stopCause() {
        return Optional.ofNullable(stopCause.get());
    }

    Result handle(StoredRecord record) {
        return handle(record, null);
    }

    /**
     * Decodes a record ahead of its handler, on the read loop while it would otherwise wait for
     * room: the message if it decodes from memory alone, else null, and the worker decodes it
     * under the policy as always. Any failure gives null too, so poison messages and registry
     * problems take exactly the path they take without this.
     */
    Message<T> decodeAhead(StoredRecord record) {
        if (record.defect().isPresent() || !decoder.decodesFromMemory(record)) {
            return null;
        }
        try {
            return decode(record);
        } catch (Throwable e) {
            return null;
        }
    }

    /** Runs a record, with its message if {@link #decodeAhead} decoded it already (else null). */
    Result handle(StoredRecord record, Message<T> decoded) {
        Message<T> message = decoded;
        for (int unavailable = 1; message == null; unavailable++) {
            try {
                message = decode(record);
            } catch (PayloadCodecException e) {
                return exhausted(record, 1, e);
            } catch (StreamableException e) {
                // the schema registry could not be read now (backend down, timeout): the message itself is
                // sound, so it waits for the backend and is never skipped or dead-lettered for this
                reporter.report(Optional.of(record.position()), unavailable, Outcome.RETRYING, e);
                if (!pause(decodeBackoff(unavailable))) {
                    return Result.ABANDONED;
                }
            }
        }
        FailurePolicy policy = settings.failurePolicy();
        for (int attempt = 1; ; attempt++) {
            try {
                settings.handler().handle(message);
                return Result.DONE;
            } catch (Throwable failure) { // Errors too: reported like any failure, with topic and position
                if (isClosing()) {
                    return Result.ABANDONED; // most likely interrupted by close(): delivered again later
                }
                if (attempt >= policy.maxAttempts()) {
                    return exhausted(record, attempt, failure);
                }
                LOG.debug("Handler of {} failed at position {} (attempt {}), retrying", settings.description(),
                        record.position(), attempt, failure);
                if (!pause(policy.backoffAfter(attempt))) {
                    return Result.ABANDONED;
                }
            }
        }
    }

    private boolean isClosing() {
        return closing.getCount() == 0;
    }

    private Message<T> decode(StoredRecord record) {
        String topic = settings.topic().name();
        Optional<String> defect = record.defect();
        if (defect.isPresent()) {
            throw new PayloadCodecException("The record at position " + record.position() + " of topic \"" + topic
                    + "\" is malformed: " + defect.get() + ". The backend could not read it in its own shape; skip or"
                    + " dead-letter it with the failure policy, or repair the stored data.", null);
        }
        T payload;
        try {
            payload = decoder.decode(record);
        } catch (StreamableException e) {
            if (!(e instanceof PayloadCodecException)) {
                throw e; // not about this message: the registry or the backend failed; retried by handle()
            }
            throw poison(record, e);
        } catch (RuntimeException e) {
            throw poison(record, e);
        }
        return new Message<>(topic, record.position(), record.createdAt(), record.shardingKey(),
                record.logCompactId(), record.headers(), payload);
    }

    private static Duration decodeBackoff(int failures) {
        return Duration.ofMillis(Math.min(100L << Math.min(failures - 1, 6), 5_000));
    }

    /** A message that cannot decode: a poison message for the failure policy, naming where it is. */
    private PayloadCodecException poison(StoredRecord record, RuntimeException e) {
        String version = record.headers().get(SchemaRegistry.VERSION_HEADER);
        return new PayloadCodecException("The message at position " + record.position() + " of topic \""
                + settings.topic().name() + "\" (sharding key \"" + record.shardingKey() + "\""
                + (version == null ? ", no schema version" : ", schema version " + version) + ") does not decode as "
                + settings.topic().payloadType() + ": " + e.getMessage() + ". Make the payload type able to read the"
                + " stored data (optional properties, defaults, a new version), or dead-letter the message.", e);
    }

    private Result exhausted(StoredRecord record, int attempts, Throwable cause) {
        FailurePolicy policy = settings.failurePolicy();
        Optional<Position> at = Optional.of(record.position());
        switch (policy.whenExhausted()) {
            case SKIPPED -> {
                reporter.report(at, attempts, Outcome.SKIPPED, cause);
                return Result.DONE;
            }
            case DEAD_LETTERED -> {
                String deadLetterTopic = policy.deadLetterTopic().orElseThrow();
                try {
                    deadLetter(record, deadLetterTopic, cause);
                    reporter.report(at, attempts, Outcome.DEAD_LETTERED, cause);
                    return Result.DONE;
                } catch (Exception e) {
                    StreamableException failure = new StreamableException("Could not move the message at position "
                            + record.position() + " of topic \"" + settings.topic().name() + "\" to dead-letter topic \""
                            + deadLetterTopic + "\": " + e.getMessage() + "; the " + settings.description()
                            + " stops without passing it", e);
                    failure.addSuppressed(cause);
                    return stop(record, attempts, failure);
                }
            }
            default -> {
                return stop(record, attempts, cause);
            }
        }
    }

    private Result stop(StoredRecord record, int attempts, Throwable cause) {
        stopCause.compareAndSet(null, new StreamableException("The " + settings.description() + " stopped at position "
                + record.position() + " (sharding key \"" + record.shardingKey() + "\") after " + attempts
                + " failed attempt(s): " + cause + ". Its position stays before this message, so a restart delivers"
                + " it again.", cause));
        reporter.report(Optional.of(record.position()), attempts, Outcome.STOPPED, cause);
        return Result.STOP;
    }

    private void deadLetter(StoredRecord record, String deadLetterTopic, Throwable cause) throws Exception {
        Map<String, String> headers = new HashMap<>(record.headers());
        headers.put(FailurePolicy.DLQ_SOURCE_TOPIC, settings.topic().name());
        headers.put(FailurePolicy.DLQ_SOURCE_POSITION, record.position().encode());
        headers.put(FailurePolicy.DLQ_ERROR, String.valueOf(cause));
        settings.name().ifPresent(name -> headers.put(FailurePolicy.DLQ_CONSUMER, name));
        AppendRecord copy = new AppendRecord(record.shardingKey().isEmpty() ? "malformed" : record.shardingKey(),
                Optional.empty(), headers, record.payload());
        try {
            topics.apply(deadLetterTopic).append(List.of(copy)).get(DEAD_LETTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception inner ? inner : e;
        } catch (TimeoutException e) {
            throw new StreamableException("the append did not complete within " + DEAD_LETTER_TIMEOUT, e);
        }
    }

    /** Waits out a backoff unless the consumer closes first; false if it did. */
    private boolean pause(Duration pause) {
        try {
            return !closing.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
