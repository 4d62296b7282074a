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
 * @param headers      string metadata; names starting with {@code streamable.} are reserved
 * @param payload      the payload, never null
 * @param <T>          the payload type
 */
public record OutgoingMessage<T>(String shardingKey, Optional<String> logCompactId,
                                 Map<String, String> headers, T payload) {

    /** Header names the framework writes itself; producers may not set them. */
    public static final String RESERVED_HEADER_PREFIX = "streamable.";

    public OutgoingMessage {
        requireShardingKey(shardingKey);
        Objects.requireNonNull(logCompactId, "logCompactId: use Optional.empty() for a message that is never compacted");
        logCompactId.ifPresent(id -> {
            if (id.isEmpty()) {
                throw new IllegalArgumentException("logCompactId must not be empty: leave it out, or use the id of the"
                        + " entity this message replaces");
            }
        });
        Objects.requireNonNull(headers, "headers");
        headers.forEach((name, value) -> {
            if (name == null || value == null) {
                throw new IllegalArgumentException("Header names and values must not be null (header " + name + ")");
            }
        });
        headers = Map.copyOf(headers);
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null (sharding key \"" + shardingKey
                    + "\"): send an explicit payload object, for example a record describing the deletion");
        }
    }

    /** A message with a sharding key and a payload, no compaction id and no headers. */
    public static <T> OutgoingMessage<T> of(String shardingKey, T payload) {
        return new OutgoingMessage<>(shardingKey, Optional.empty(), Map.of(), payload);
    }

    /** The same message with a log compaction id. */
    public OutgoingMessage<T> withLogCompactId(String id) {
        return new OutgoingMessage<>(shardingKey, Optional.of(Objects.requireNonNull(id, "logCompactId")), headers, payload);
    }

    /** The same message with one more header. */
    public OutgoingMessage<T> withHeader(String name, String value) {
        if (name != null && name.startsWith(RESERVED_HEADER_PREFIX)) {
            throw new IllegalArgumentException("Header \"" + name + "\" uses the reserved prefix \""
                    + RESERVED_HEADER_PREFIX + "\"; choose another name");
        }
        Map<String, String> more = new HashMap<>(headers);
        more.put(name, value);
        return new OutgoingMessage<>(shardingKey, logCompactId, more, payload);
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
    }
}
