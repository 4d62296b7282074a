package io.streamable.client;

import io.streamable.backend.GroupMemberReader;
import io.streamable.consume.AssignmentChange;
import io.streamable.consume.AssignmentListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Set;

/**
 * Tells a consumer group member's owner when the slots it owns changed. It compares the member's
 * {@link GroupMemberReader#slots()} with what it last reported, which is why it reports only real
 * changes, after they took effect: the backend announces a change to the engine's
 * {@link io.streamable.backend.RebalanceListener} before making it, may make less of it than it
 * announced, and announces nothing for a member's first share. Used by the read thread only.
 */
final class AssignmentReporter {
    private static final Logger LOG = LoggerFactory.getLogger(AssignmentReporter.class);

    private final String topic;
    private final String consumerName;
    private final String description;
    private final GroupMemberReader member;
    private final AssignmentListener listener;
    private final Clock clock;
    private Set<Integer> reported = Set.of();

    AssignmentReporter(String topic, String consumerName, String description, GroupMemberReader member,
                       AssignmentListener listener, Clock clock) {
        this.topic = topic;
        this.consumerName = consumerName;
        this.description = description;
        this.member = member;
        this.listener = listener;
        this.clock = clock;
    }

    /** Reports the member's slots if they changed since the last report. */
    void check() {
        report(member.slots());
    }

    /** Reports that the member owns nothing any more: it stopped and its reader is closed. */
    void stopped() {
        report(Set.of());
    }

    private void report(Set<Integer> now) {
        if (now.equals(reported)) {
            return;
        }
        AssignmentChange change = new AssignmentChange(topic, consumerName, member.memberId(), member.slotCount(),
                reported, now, clock.instant());
        reported = change.owned();
        LOG.debug("The {} (member {}) now owns slots {}: revoked {}, assigned {}", description, change.memberId(),
                change.owned(), change.revoked(), change.assigned());
        try {
            listener.assignmentChanged(change);
        } catch (RuntimeException e) {
            LOG.warn("The assignment listener of {} threw; ignoring it", description, e);
        }
    }
}
