package io.streamable.produce;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A message on its way to a topic. The backend adds the position and the creation time.
 *
 * <pre>{@code
 * OutgoingMessage.of("customer-42", order)
 *     .withLogCompactId("order-7")
 *     .withHeader("source", "checkout");
 * }</pre>
 *
 * @param shardingKey  required, non-empty: messages with one key are delivered in append order
 * @param logCompactId optional: a later message with the same id makes this one removable
 * @param headers      string metadata; names starting with {@code streamable.} are reserved for
 *                     the framework and refused here. To republish a consumed or dead-lettered
 *                     message, copy its user headers only:
 *                     {@code OutgoingMessage.of(key, payload).withHeaders(message.userHeaders())}
 * @param payload      the payload, never null
 * @param <T>          the payload type
 */
public record OutgoingMessage<T>(String shardingKey, Optional<String> logCompactId,
                                 Map<String, String> headers, T payload) {

    /** Header names the framework writes itself; producers may not set them. */
    public static final String RESERVED_HEADER_PREFIX = "streamable.";

    /**
     * Checks the message and copies {@code headers}, so the message stays immutable.
     *
     * @throws IllegalArgumentException if the sharding key is missing or blank, the compaction id is
     *         empty, a header is null or uses the reserved {@value #RESERVED_HEADER_PREFIX} prefix, or
     *         the payload is null; the message says what to pass instead
     *
     * @param shardingKey  required, non-empty: messages with one key are delivered in append order
     * @param logCompactId optional: a later message with the same id makes this one removable
     * @param headers      string metadata; names starting with {@code streamable.} are reserved for
     *        the framework and refused here. To republish a consumed or dead-lettered
     *        message, copy its user headers only:
     *        {@code OutgoingMessage.of(key, payload).withHeaders(message.userHeaders())}
     * @param payload      the payload, never null
     */
    public OutgoingMessage {
        requireShardingKey(shardingKey);
        Objects.requireNonNull(logCompactId, "logCompactId: use Optional.empty() for a message that is never compacted");
        logCompactId.ifPresent(id -> {
            if (id.isEmpty()) {
                throw new IllegalArgumentException("logCompactId must not be empty: leave it out, or use the id of the"
                        + " entity this message replaces");
            }
        });
        if (headers == null) {
            throw new IllegalArgumentException("headers must not be null (sharding key \"" + shardingKey
                    + "\"): pass Map.of() for a message without headers");
        }
        headers.forEach((name, value) -> {
            if (name == null || value == null) {
                throw new IllegalArgumentException("Header names and values must not be null (header " + name + ")");
            }
            requireUserHeader(name);
        });
        headers = Map.copyOf(headers);
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null (sharding key \"" + shardingKey
                    + "\"): send an explicit payload object, for example a record describing the deletion");
        }
    }

    /**
     * A message with a sharding key and a payload, no compaction id and no headers.
     *
     * @param shardingKey the id of the entity the message is about; messages with one key stay in order
     * @param payload     the payload, never null
     * @param <T>         the payload type
     * @return the message
     */
    public static <T> OutgoingMessage<T> of(String shardingKey, T payload) {
        return new OutgoingMessage<>(shardingKey, Optional.empty(), Map.of(), payload);
    }

    /**
     * The same message with a log compaction id.
     *
     * @param id the id of the entity this message replaces: compaction keeps only the newest message per id
     * @return a new message; this one is unchanged
     */
    public OutgoingMessage<T> withLogCompactId(String id) {
        if (id == null) {
            throw new IllegalArgumentException("logCompactId must not be null (sharding key \"" + shardingKey
                    + "\"): pass the id of the entity this message replaces, or leave withLogCompactId out for a"
                    + " message that is never compacted");
        }
        return new OutgoingMessage<>(shardingKey, Optional.of(id), headers, payload);
    }

    /**
     * The same message with one more header.
     *
     * @param name  the header name; must not start with {@value #RESERVED_HEADER_PREFIX}
     * @param value the header value
     * @return a new message; this one is unchanged
     */
    public OutgoingMessage<T> withHeader(String name, String value) {
        if (name != null) {
            requireUserHeader(name);
        }
        Map<String, String> more = new HashMap<>(headers);
        more.put(name, value);
        return new OutgoingMessage<>(shardingKey, logCompactId, more, payload);
    }

    /**
     * The same message with more headers, which replace headers of the same name. Names must not
     * be reserved: to copy a consumed message's headers, pass {@code message.userHeaders()} (or
     * {@link #userHeaders(Map)} of them), which leaves out the framework's {@code streamable.} ones.
     *
     * @param more the headers to add
     * @return a new message; this one is unchanged
     */
    public OutgoingMessage<T> withHeaders(Map<String, String> more) {
        if (more == null) {
            throw new IllegalArgumentException("headers must not be null: pass Map.of() to add none");
        }
        Map<String, String> all = new HashMap<>(headers);
        more.forEach((name, value) -> {
            if (name == null || value == null) {
                throw new IllegalArgumentException("Header names and values must not be null (header " + name + ")");
            }
            all.put(name, value);
        });
        return new OutgoingMessage<>(shardingKey, logCompactId, all, payload);
    }

    /**
     * Whether a header name is the framework's own ({@value #RESERVED_HEADER_PREFIX}…), which producers may not set.
     *
     * @param name the header name
     * @return {@code true} when it starts with {@value #RESERVED_HEADER_PREFIX}
     */
    public static boolean isReservedHeader(String name) {
        return name.startsWith(RESERVED_HEADER_PREFIX);
    }

    /**
     * The headers without the framework's reserved ones (schema version, dead-letter source, …):
     * what a republished message may carry over from the one it copies.
     *
     * @param headers a message's headers
     * @return an unmodifiable copy without the reserved headers
     */
    public static Map<String, String> userHeaders(Map<String, String> headers) {
        Map<String, String> user = new HashMap<>();
        headers.forEach((name, value) -> {
            if (!isReservedHeader(name)) {
                user.put(name, value);
            }
        });
        return Map.copyOf(user);
    }

    private static void requireUserHeader(String name) {
        if (isReservedHeader(name)) {
            throw new IllegalArgumentException("Header \"" + name + "\" uses the reserved prefix \""
                    + RESERVED_HEADER_PREFIX + "\", which the framework writes itself; choose another name. To"
                    + " republish a consumed or dead-lettered message, copy only its user headers:"
                    + " OutgoingMessage.of(key, payload).withHeaders(message.userHeaders())");
        }
    }

    private static void requireShardingKey(String shardingKey) {
        if (shardingKey == null) {
            throw new IllegalArgumentException("shardingKey is required: pass the id of the entity the message is"
                    + " about (for example a customer id), so messages about it stay in order");
        }
        if (shardingKey.isEmpty()) {
            throw new IllegalArgumentException("shardingKey must not be empty: pass the id of the entity the message"
                    + " is about (for example a customer id), so messages about it stay in order");
        }
        if (shardingKey.isBlank()) {
            // a blank key is almost always a missing value (an unset form field, a padded column):
            // all such messages would share one key and one order by accident
            throw new IllegalArgumentException("shardingKey must not be only whitespace (got " + shardingKey.length()
                    + " whitespace characters): pass the id of the entity the message is about (for example a"
                    + " customer id), so messages about it stay in order");
        }
    }
}
