package io.streamable;

import java.util.regex.Pattern;

/**
 * The one definition of a legal topic name, shared by every backend so a name maps safely to a
 * MongoDB collection, a Redis channel and a Kafka topic alike.
 *
 * <p>A name is 1 to {@value #MAX_LENGTH} characters of {@code A-Z a-z 0-9 . _ -}, starts with a
 * letter or digit, and does not start with {@code system.} (reserved by MongoDB). Names starting
 * with {@value #INTERNAL_PREFIX} are reserved for the framework's own bookkeeping topics and cannot
 * be created by users because of the first-character rule.
 *
 * <p>Framework-internal topics in use: {@code __schemas.<topic>} holds the schema versions of
 * {@code <topic>} (see {@code io.streamable.schema} in streamable-core). The framework passes such
 * names to {@link io.streamable.backend.Backend#topic(String)} directly; a backend stores them
 * like any other topic and leaves them out of {@link io.streamable.backend.Backend#listTopics()}.
 */
public final class TopicName {
    /** Kafka allows 249; we keep headroom for suffixes such as a dead-letter topic's {@code .dlq}. */
    public static final int MAX_LENGTH = 200;

    /** The longest framework-internal name, such as {@code __schemas.<topic>}: Kafka's limit. */
    public static final int MAX_INTERNAL_LENGTH = 249;

    /** The prefix of framework-internal topic names, which users cannot create. */
    public static final String INTERNAL_PREFIX = "__";

    private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private TopicName() {
    }

    /**
     * Whether {@code name} is a legal topic name.
     *
     * @param name the candidate name; {@code null} is not legal
     * @return {@code true} when {@code name} is a legal topic name
     */
    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    /**
     * Whether {@code name} is a framework-internal topic, such as {@code __schemas.orders}:
     * backends hide these from {@link io.streamable.backend.Backend#listTopics()}.
     *
     * @param name the topic name, may be {@code null}
     * @return {@code true} when {@code name} starts with {@value #INTERNAL_PREFIX}
     */
    public static boolean isInternal(String name) {
        return name != null && name.startsWith(INTERNAL_PREFIX);
    }

    /**
     * The framework-internal topic that holds the schema versions of {@code topic}:
     * {@code __schemas.<topic>}. A backend deleting a topic deletes this one too.
     *
     * @param topic a legal topic name
     * @return the name of its schema topic
     * @throws IllegalArgumentException if {@code topic} is not a legal topic name
     */
    public static String schemaTopicOf(String topic) {
        return INTERNAL_PREFIX + "schemas." + requireValid(topic);
    }

    /**
     * Returns {@code name} when a backend may store it: a legal topic name, or a framework-internal
     * one, which is {@value #INTERNAL_PREFIX} followed by a legal name (the prefix and what the
     * framework adds may take it past {@value #MAX_LENGTH} characters, up to Kafka's 249). This is
     * what {@link io.streamable.backend.Backend#topic(String)} receives; backends check with it
     * rather than with {@link #requireValid(String)}.
     *
     * @param name the topic name to check
     * @return {@code name}, unchanged
     * @throws IllegalArgumentException naming the rule that was broken
     */
    public static String requireStorable(String name) {
        if (isInternal(name)) {
            String rest = name.substring(INTERNAL_PREFIX.length());
            if (name.length() > MAX_INTERNAL_LENGTH || rest.isEmpty() || !LEGAL.matcher(rest).matches()) {
                throw new IllegalArgumentException("Invalid internal topic name " + quote(name) + ": it must be \""
                        + INTERNAL_PREFIX + "\" followed by a legal topic name, " + MAX_INTERNAL_LENGTH
                        + " characters at most");
            }
            return name;
        }
        return requireValid(name);
    }

    /**
     * Returns {@code name} when legal.
     *
     * @param name the topic name to check
     * @return {@code name}, unchanged
     * @throws IllegalArgumentException naming the rule that was broken
     */
    public static String requireValid(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException("Invalid topic name " + quote(name) + ": " + problem
                    + ". Use 1-" + MAX_LENGTH + " characters of A-Z a-z 0-9 . _ -, starting with a letter or digit,"
                    + " for example \"orders\" or \"billing.invoices-v2\".");
        }
        return name;
    }

    private static String problem(String name) {
        if (name == null) {
            return "it is null";
        }
        if (name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > MAX_LENGTH) {
            return "it is " + name.length() + " characters long, the limit is " + MAX_LENGTH;
        }
        if (!LEGAL.matcher(name).matches()) {
            return "it contains a character outside A-Z a-z 0-9 . _ - or does not start with a letter or digit";
        }
        if (name.startsWith("system.")) {
            return "names starting with \"system.\" are reserved by MongoDB";
        }
        return null;
    }

    private static String quote(String name) {
        return name == null ? "null" : '"' + name + '"';
    }
}
