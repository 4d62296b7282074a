package io.streamable.backend.kafka;

import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
                    + describe(cause) + "). Check that the brokers are running and reachable; the operation may"
                    + " be retried.", cause);
        }
        return new StreamableException(what + " failed on Kafka at " + bootstrap + ": " + describe(cause), cause);
    }

    /** A failure's message, or its kind when it has none (a plain timeout has no message). */
    static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    /**
     * The framework exception for a Kafka client that could not be created from the URL's options:
     * a name that no DNS resolves, an unusable JAAS config, a missing key or trust store. Says
     * which option to fix; every secret-bearing option's value is removed from the client's words.
     *
     * @param client "producer", "consumer" or "admin client", for the message
     */
    static RuntimeException clientCreation(String client, BackendUrl url, KafkaOptions options, RuntimeException failure) {
        StringBuilder chain = new StringBuilder();
        boolean config = false;
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            config |= cause instanceof ConfigException;
            if (chain.length() > 0) {
                chain.append(": ");
            }
            chain.append(describe(cause));
        }
        String detail = scrub(chain.toString(), url);
        String lower = detail.toLowerCase(Locale.ROOT);
        // the client's own exception stays out of the cause chain: its message may quote a secret
        if (lower.contains("no resolvable bootstrap urls")) {
            return new StreamableException("Kafka at " + options.bootstrapServers() + " cannot be reached: no host"
                    + " name of the bootstrap servers resolves (DNS). Check the host names in " + url.masked()
                    + " and the DNS of this machine.");
        }
        if (lower.contains("jaas") || lower.contains("loginmodule") || lower.contains("sasl")) {
            return new StreamableException("The SASL options of Kafka backend URL " + url.masked() + " cannot be used"
                    + " (" + detail + "). Check kafka.sasl.mechanism and kafka.sasl.jaas.config, which reads like"
                    + " org.apache.kafka.common.security.plain.PlainLoginModule required username=\"...\""
                    + " password=\"...\"; (URL-encoded in the URL, ending with a semicolon).");
        }
        if (lower.contains("ssl") || lower.contains("keystore") || lower.contains("truststore")) {
            return new StreamableException("The SSL options of Kafka backend URL " + url.masked() + " cannot be used"
                    + " (" + detail + "). Check that kafka.ssl.truststore.location and kafka.ssl.keystore.location"
                    + " name readable files of the type kafka.ssl.*.type says (JKS, PKCS12 or PEM), with the right"
                    + " passwords.");
        }
        if (config) {
            return new IllegalArgumentException("The Kafka " + client + " options of " + url.masked() + " are invalid ("
                    + detail + "). Check the kafka.* options against the Kafka client configs.");
        }
        return new StreamableException("Creating the Kafka " + client + " for " + url.masked() + " failed (" + detail
                + "). Check the kafka.* options of the URL.");
    }

    /** {@code text} without the values of the URL's secret-bearing options, whole or word by word. */
    static String scrub(String text, BackendUrl url) {
        String scrubbed = text;
        for (Map.Entry<String, String> option : url.options().entrySet()) {
            String name = option.getKey().toLowerCase(Locale.ROOT);
            if (!BackendUrl.isSecretOption(name) && !name.contains("key") && !name.contains("user.info")) {
                continue;
            }
            String value = option.getValue();
            if (value.isEmpty()) {
                continue;
            }
            scrubbed = scrubbed.replace(value, "****");
            for (String word : value.split("[\\s\"';=]+")) {
                if (word.length() >= 3 && !STRUCTURE_WORDS.contains(word.toLowerCase(Locale.ROOT))
                        && !word.endsWith("LoginModule")) {
                    scrubbed = scrubbed.replace(word, "****");
                }
            }
        }
        return BackendUrl.mask(scrubbed);
    }

    /** Words of a JAAS config that are syntax, not secrets, so error messages stay readable. */
    private static final Set<String> STRUCTURE_WORDS = Set.of("required", "optional", "requisite", "sufficient",
            "username", "password");

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
