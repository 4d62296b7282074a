package io.streamable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How long a topic keeps its messages: by age, by count and by approximate size, each optional;
 * a message goes once any limit is exceeded. Retention removes a <em>prefix</em> of the log (the
 * oldest messages, in position order) and never the newest message, so a position, once handed
 * out, is never given to another message. Immutable.
 *
 * <pre>{@code
 * streamable.configureTopic("orders", Retention.maxAge(Duration.ofDays(7)).withMaxMessages(1_000_000));
 * }</pre>
 *
 * <p>Like Kafka's {@code retention.ms} and {@code retention.bytes}: a backend removes what is due
 * in the background, so a message may outlive its limit for a while (on Kafka until its segment
 * rolls and the broker's next retention check); it is never removed early.
 *
 * @param maxAge      messages whose {@code createdAt} is older than this are removed; empty for no age limit
 * @param maxMessages only about the newest this many messages are kept; empty for no count limit
 * @param maxBytes    only about this many payload bytes are kept, the newest; empty for no size limit
 */
public record Retention(Optional<Duration> maxAge, OptionalLong maxMessages, OptionalLong maxBytes) {
    private static final Retention FOREVER = new Retention(Optional.empty(), OptionalLong.empty(), OptionalLong.empty());

    /**
     * Checks every limit is positive.
     *
     * @param maxAge      messages older than this are removed; empty for no age limit
     * @param maxMessages only the newest this many messages are kept; empty for no count limit
     * @param maxBytes    only about this many payload bytes are kept; empty for no size limit
     */
    public Retention {
        Objects.requireNonNull(maxAge, "maxAge: pass Optional.empty() for no age limit");
        Objects.requireNonNull(maxMessages, "maxMessages: pass OptionalLong.empty() for no count limit");
        Objects.requireNonNull(maxBytes, "maxBytes: pass OptionalLong.empty() for no size limit");
        if (maxAge.isPresent() && (maxAge.get().isNegative() || maxAge.get().isZero())) {
            throw new IllegalArgumentException("Retention maxAge must be positive, got " + maxAge.get());
        }
        if (maxMessages.isPresent() && maxMessages.getAsLong() < 1) {
            throw new IllegalArgumentException("Retention maxMessages must be at least 1 (the newest message is always"
                    + " kept), got " + maxMessages.getAsLong());
        }
        if (maxBytes.isPresent() && maxBytes.getAsLong() < 1) {
            throw new IllegalArgumentException("Retention maxBytes must be at least 1, got " + maxBytes.getAsLong());
        }
    }

    /** {@return no limit: every message is kept (compaction aside); the default of every topic} */
    public static Retention forever() {
        return FOREVER;
    }

    /**
     * Keeps messages for {@code age} after their {@code createdAt}.
     *
     * @param age how long a message is kept; positive
     * @return the retention
     */
    public static Retention maxAge(Duration age) {
        return FOREVER.withMaxAge(age);
    }

    /**
     * Keeps only the newest {@code messages} messages.
     *
     * @param messages how many messages are kept; at least 1
     * @return the retention
     */
    public static Retention maxMessages(long messages) {
        return FOREVER.withMaxMessages(messages);
    }

    /**
     * Keeps only about the newest {@code bytes} bytes of payload.
     *
     * @param bytes how many payload bytes are kept; at least 1
     * @return the retention
     */
    public static Retention maxBytes(long bytes) {
        return FOREVER.withMaxBytes(bytes);
    }

    /**
     * This retention with an age limit.
     *
     * @param age how long a message is kept; positive
     * @return the new retention
     */
    public Retention withMaxAge(Duration age) {
        return new Retention(Optional.of(Objects.requireNonNull(age, "age")), maxMessages, maxBytes);
    }

    /**
     * This retention with a count limit.
     *
     * @param messages how many messages are kept; at least 1
     * @return the new retention
     */
    public Retention withMaxMessages(long messages) {
        return new Retention(maxAge, OptionalLong.of(messages), maxBytes);
    }

    /**
     * This retention with a size limit.
     *
     * @param bytes how many payload bytes are kept; at least 1
     * @return the new retention
     */
    public Retention withMaxBytes(long bytes) {
        return new Retention(maxAge, maxMessages, OptionalLong.of(bytes));
    }

    /** {@return whether this retention keeps every message} */
    public boolean isForever() {
        return maxAge.isEmpty() && maxMessages.isEmpty() && maxBytes.isEmpty();
    }

    /** {@return a short form for logs and the CLI: {@code "forever"} or {@code "maxAge=PT168H, maxMessages=1000000"}} */
    @Override
    public String toString() {
        if (isForever()) {
            return "forever";
        }
        List<String> parts = new ArrayList<>(3);
        maxAge.ifPresent(age -> parts.add("maxAge=" + age));
        maxMessages.ifPresent(count -> parts.add("maxMessages=" + count));
        maxBytes.ifPresent(bytes -> parts.add("maxBytes=" + bytes));
        return String.join(", ", parts);
    }
}
