package io.streamable.client;

import io.streamable.Position;
import io.streamable.backend.TopicStore;
import io.streamable.consume.StartFrom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Turns a user's {@link StartFrom} into the concrete start a backend receives, once, for every
 * backend alike: {@code latest} becomes "after the head", and a position beyond the head is
 * clamped to it with a warning, and {@code at(instant)} becomes "after
 * {@link TopicStore#positionBefore}". Clamping, not keeping it: a position past the end would make the
 * reader silently skip every message appended until the log grows past it.
 */
final class StartResolver {
    private static final Logger LOG = LoggerFactory.getLogger(StartResolver.class);

    private StartResolver() {
    }

    /** The concrete start for a reader of {@code store}: {@link StartFrom#beginning()} or {@link StartFrom#after}. */
    static StartFrom resolve(StartFrom start, TopicStore store, String description) {
        if (start instanceof StartFrom.Beginning) {
            return start;
        }
        if (start instanceof StartFrom.At at) {
            // a conservative position: records after it created before the instant are dropped by the consumer
            return store.positionBefore(at.instant()).map(StartFrom::after).orElse(StartFrom.beginning());
        }
        Optional<Position> head = store.head();
        if (start instanceof StartFrom.Latest) {
            return head.map(StartFrom::after).orElse(StartFrom.beginning());
        }
        Position requested = ((StartFrom.After) start).position();
        Optional<Position> clamped = clamp(requested, head);
        if (clamped.equals(Optional.of(requested))) {
            return start;
        }
        LOG.warn("The start position {} of {} lies beyond the newest stored message ({}); starting after {} instead,"
                        + " so the messages appended from now on are delivered. Pass a position read from this topic.",
                requested.encode(), description, head.map(Position::encode).orElse("the topic is empty"),
                clamped.map(Position::encode).orElse("nothing (from the beginning)"));
        return clamped.map(StartFrom::after).orElse(StartFrom.beginning());
    }

    /** {@code requested} with every offset above the head's lowered to it; empty when nothing is left. */
    static Optional<Position> clamp(Position requested, Optional<Position> head) {
        Map<Integer, Long> offsets = new TreeMap<>();
        requested.offsets().forEach((partition, offset) -> {
            long newest = head.map(h -> h.offset(partition).orElse(-1L)).orElse(-1L);
            long kept = Math.min(offset, newest);
            if (kept >= 0) {
                offsets.put(partition, kept);
            }
        });
        return offsets.isEmpty() ? Optional.empty() : Optional.of(Position.of(offsets));
    }
}
