package io.streamable;

import io.streamable.produce.OutgoingMessage;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A message as a consumer receives it.
 *
 * @param topic        the topic it was read from
 * @param position     where the backend stored it
 * @param createdAt    when the backend accepted it
 * @param shardingKey  the key that orders it: messages with one key arrive in append order
 * @param logCompactId when present, newer messages with the same id make this one removable
 * @param headers      string metadata set by the producer (and by the framework, under
 *                     {@code streamable.} names)
 * @param payload      the decoded payload
 * @param <T>          the payload type
 */
public record Message<T>(String topic, Position position, Instant createdAt, String shardingKey,
                         Optional<String> logCompactId, Map<String, String> headers, T payload) {

    /**
     * Checks the required components and copies {@code headers}, so the message stays immutable.
     *
     * @param topic        the topic it was read from
     * @param position     where the backend stored it
     * @param createdAt    when the backend accepted it
     * @param shardingKey  the key that orders it: messages with one key arrive in append order
     * @param logCompactId when present, newer messages with the same id make this one removable
     * @param headers      string metadata set by the producer (and by the framework, under
     *        {@code streamable.} names)
     * @param payload      the decoded payload
     */
    public Message {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(shardingKey, "shardingKey");
        Objects.requireNonNull(logCompactId, "logCompactId");
        headers = Map.copyOf(headers);
    }

    /**
     * The headers the producer set, without the framework's {@code streamable.} ones: what to copy
     * when republishing this message, {@code OutgoingMessage.of(key, payload).withHeaders(message.userHeaders())}.
     *
     * @return the producer's headers, without {@code streamable.}-prefixed ones
     */
    public Map<String, String> userHeaders() {
        return OutgoingMessage.userHeaders(headers);
    }

    /**
     * A header's value, if the producer set it.
     *
     * @param name the header name
     * @return the header's value, or empty when the message has no such header
     */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name));
    }
}
