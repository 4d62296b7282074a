package io.streamable.backend.kafka;

import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Turns Kafka client exceptions into the framework's: transient ones into {@link BackendUnavailableException}. */
final class KafkaErrors {
    private KafkaErrors() {
    }

    /**
     * The framework exception for a failed Kafka operation.
     *
     * @param what      what was attempted, for the message
     * @param bootstrap the cluster, for the message
     */
    static StreamableException translate(String what, String bootstrap, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StreamableException streamable) {
            return streamable;
        }
        if (cause instanceof RecordTooLargeException) {
            return new StreamableException(what + " failed: the record is larger than the producer's max.request.size"
                    + " or the topic's max.message.bytes allow (" + cause.getMessage() + "). Send smaller payloads or"
                    + " raise both limits (kafka.max.request.size, topic.max.message.bytes).", cause);
        }
        if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
            return new StreamableException(what + " failed: Kafka at " + bootstrap + " refused the credentials or"
                    + " permissions (" + cause.getMessage() + "). Check the kafka.security.* and kafka.sasl.* options"
                    + " and the ACLs of the principal.", cause);
        }
        if (cause instanceof TimeoutException || cause instanceof RetriableException
                || cause instanceof java.util.concurrent.TimeoutException) {
            return new BackendUnavailableException(what + " failed: Kafka at " + bootstrap + " did not answer in time ("
                    + cause.getMessage() + "). Check that the brokers are running and reachable; the operation may"
                    + " be retried.", cause);
        }
        return new StreamableException(what + " failed on Kafka at " + bootstrap + ": " + cause, cause);
    }

    static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Whether a Kafka call failed because the calling thread was interrupted. */
    static boolean isInterrupt(Throwable failure) {
        return failure instanceof InterruptException || failure instanceof InterruptedException;
    }
}
