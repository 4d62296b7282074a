package io.streamable.state;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.TopicName;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The message an update is made for: its topic and its position there. Passing a source to
 * {@link StateStore#update(String, Source, java.util.function.Function)} makes the update
 * <em>apply-once</em>: the store records the position for the key and refuses any later update
 * from the same topic whose position is not newer.
 *
 * <p>A source names one message, so its position names exactly one partition: {@code "42"} on
 * single-log backends, {@code "3:17"} (partition 3, offset 17) on partitioned ones.
 *
 * @param topic    the topic the message was read from
 * @param position the message's position in that topic, one partition
 */
public record Source(String topic, Position position) {

    /**
     * Checks the topic name, and that the position names one partition: a source is one message.
     *
     * @param topic    the topic the message was read from
     * @param position the message's position in that topic, one partition
     */
    public Source {
        TopicName.requireValid(topic);
        Objects.requireNonNull(position, "position");
        if (position.offsets().size() != 1) {
            throw new IllegalArgumentException("A source is one message, so its position names one partition; got "
                    + position.encode() + " for topic \"" + topic + "\". Pass the message's own position"
                    + " (Message.position()), not a consumer's position");
        }
    }

    /**
     * The source of a message being handled.
     *
     * @param message the message
     * @return its topic and position
     */
    public static Source of(Message<?> message) {
        return new Source(message.topic(), message.position());
    }

    /**
     * A source from a topic name and an offset in a single-log topic.
     *
     * @param topic  the topic name
     * @param offset the offset in partition 0
     * @return the source
     */
    public static Source of(String topic, long offset) {
        return new Source(topic, Position.of(offset));
    }

    /** {@return the partition this source's position is in} */
    public int partition() {
        return position.offsets().firstKey();
    }

    /** {@return the offset within {@link #partition()}} */
    public long offset() {
        return position.offsets().get(partition());
    }

    /**
     * Whether an update from this source was already applied, given the position recorded for its
     * topic: true when the recorded offset in this source's partition is at or after this one.
     *
     * @param recorded the position recorded for this source's topic on the key
     * @return {@code true} when the update from this source must be refused
     */
    public boolean isCoveredBy(Position recorded) {
        return recorded != null && recorded.offset(partition()).orElse(-1) >= offset();
    }

    /** The recorded position after applying this source: the greater offset in each partition. */
    Position recordOnto(Position recorded) {
        return recorded == null ? position : recorded.merge(position);
    }

    /** Applies this source to a key's applied map; see {@link #recordOnto(Position)}. */
    Map<String, Position> recordOnto(Map<String, Position> applied) {
        TreeMap<String, Position> next = new TreeMap<>(applied);
        next.put(topic, recordOnto(applied.get(topic)));
        return next;
    }

    @Override
    public String toString() {
        return topic + "@" + position.encode();
    }
}
