package io.streamable.consume;

import java.util.Objects;

/**
 * Positions a consumer had not read when retention removed them: it resumes at the oldest
 * message still stored, and is told what it missed. Within one partition (partition 0 on a
 * single-log backend), the offsets {@code firstRemoved} up to {@code oldestKept - 1}.
 *
 * @param topic        the topic
 * @param partition    the partition, 0 on a single-log backend
 * @param firstRemoved the first offset the consumer had not read and retention removed
 * @param oldestKept   the offset it resumes at: the oldest one still stored (or still to be stored)
 */
public record RetentionGap(String topic, int partition, long firstRemoved, long oldestKept) {
    /**
     * Checks the range is not empty.
     *
     * @param topic        the topic
     * @param partition    the partition, 0 on a single-log backend
     * @param firstRemoved the first offset removed unread
     * @param oldestKept   the offset the consumer resumes at, above {@code firstRemoved}
     */
    public RetentionGap {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0 || firstRemoved < 0 || oldestKept <= firstRemoved) {
            throw new IllegalArgumentException("A retention gap needs partition >= 0 and 0 <= firstRemoved < oldestKept,"
                    + " got partition " + partition + ", " + firstRemoved + ".." + oldestKept);
        }
    }

    /** {@return how many positions were removed unread: {@code oldestKept - firstRemoved}} */
    public long removedUnread() {
        return oldestKept - firstRemoved;
    }
}
