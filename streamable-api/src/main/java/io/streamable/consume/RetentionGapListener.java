package io.streamable.consume;

/**
 * Told when retention removed messages a consumer had not read yet (it was stopped, or too slow):
 * the consumer then resumes at the oldest message still stored. Also logged as a warning.
 */
@FunctionalInterface
public interface RetentionGapListener {

    /**
     * Called on the consumer's read thread, before the messages after the gap are delivered; keep it short.
     *
     * @param gap the positions removed unread
     */
    void removedUnread(RetentionGap gap);
}
