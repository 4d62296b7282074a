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

    public Topic {
        TopicName.requireValid(name);
        Objects.requireNonNull(payloadType, "payloadType");
    }

    /** A topic whose payloads are instances of {@code payloadClass}. */
    public static <T> Topic<T> of(String name, Class<T> payloadClass) {
        return new Topic<>(name, PayloadType.of(payloadClass));
    }

    /** A topic with a generic payload type, for example {@code new PayloadType<Map<String, Long>>() {}}. */
    public static <T> Topic<T> of(String name, PayloadType<T> payloadType) {
        return new Topic<>(name, payloadType);
    }

    @Override
    public String toString() {
        return name + "<" + payloadType + ">";
    }
}
