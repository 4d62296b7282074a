package io.streamable;

import java.util.Objects;

/**
 * A typed handle on a topic: its name and the Java type of its payloads. Cheap to create and
 * immutable; two handles with the same name address the same stored log.
 *
 * <pre>{@code
 * Topic<Order> orders = Topic.of("orders", Order.class);
 * }</pre>
 *
 * @param name        a legal topic name, see {@link TopicName}
 * @param payloadType the type payloads are encoded from and decoded to
 * @param <T>         the payload type
 */
public record Topic<T>(String name, PayloadType<T> payloadType) {

    /**
     * Checks the name against {@link TopicName#requireValid(String)}.
     *
     * @param name        a legal topic name, see {@link TopicName}
     * @param payloadType the type payloads are encoded from and decoded to
     */
    public Topic {
        TopicName.requireValid(name);
        Objects.requireNonNull(payloadType, "payloadType");
    }

    /**
     * A topic whose payloads are instances of {@code payloadClass}.
     *
     * @param name         the topic name; see {@link TopicName} for the rules
     * @param payloadClass the payload class
     * @param <T>          the payload type
     * @return the topic
     */
    public static <T> Topic<T> of(String name, Class<T> payloadClass) {
        return new Topic<>(name, PayloadType.of(payloadClass));
    }

    /**
     * A topic with a generic payload type, for example {@code new PayloadType<Map<String, Long>>() {}}.
     *
     * @param name        the topic name; see {@link TopicName} for the rules
     * @param payloadType the payload type
     * @param <T>         the payload type
     * @return the topic
     */
    public static <T> Topic<T> of(String name, PayloadType<T> payloadType) {
        return new Topic<>(name, payloadType);
    }

    @Override
    public String toString() {
        return name + "<" + payloadType + ">";
    }
}
