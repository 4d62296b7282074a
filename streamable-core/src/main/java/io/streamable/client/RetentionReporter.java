package io.streamable.client;

import io.streamable.consume.RetentionGap;
import io.streamable.consume.RetentionGapListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Tells a consumer's owner that retention removed positions it had not read: a warning naming
 * how many, then the user's {@link RetentionGapListener}. The backend's reader has already moved
 * on to the oldest stored record; this only makes the jump visible, it never stops the consumer.
 */
final class RetentionReporter {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionReporter.class);

    private final String description;
    private final RetentionGapListener listener;

    RetentionReporter(String description, RetentionGapListener listener) {
        this.description = description;
        this.listener = listener;
    }

    void report(List<RetentionGap> gaps) {
        for (RetentionGap gap : gaps) {
            LOG.warn("Retention removed {} position(s) the {} had not read ({}offsets {} to {}); it resumes at {}, the"
                            + " oldest message still stored. Keep consumers running, or raise the topic's retention.",
                    gap.removedUnread(), description, gap.partition() == 0 ? "" : "partition " + gap.partition() + ", ",
                    gap.firstRemoved(), gap.oldestKept() - 1, gap.oldestKept());
            try {
                listener.removedUnread(gap);
            } catch (RuntimeException e) {
                LOG.warn("The retention gap listener of {} threw; ignoring it", description, e);
            }
        }
    }
}
