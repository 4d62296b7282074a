package io.streamable.backend;

import io.streamable.Position;

import io.streamable.consume.RetentionGap;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads one topic in order for one consumer. Used by one thread, except {@link #wakeup()} and
 * {@link #close()}, which any thread may call. A member of a consumer group
 * ({@link GroupMemberReader}, from {@link ConsumerGroups#joinGroup}) reads only its slots and may
 * call its {@link RebalanceListener} from inside {@link #read}; {@link ConsumerGroups} says how.
 */
public interface TopicReader extends AutoCloseable {

    /**
     * Returns the next records, at most {@code max}. When none is available it waits, woken by
     * the backend when records arrive (not by polling it), up to {@code maxWait}, then returns
     * what it has, possibly nothing.
     *
     * @param max     the most records to return, at least 1
     * @param maxWait how long to wait when nothing is available
     * <p>A group member's read first runs any pending rebalance of its slots: it calls the
     * member's {@link RebalanceListener} on this thread, then changes the slots, then reads.
     *
     * @return the records read, and whether the reader has caught up
     * @throws BackendUnavailableException if the backend cannot be reached; the reader stays usable
     *                                     and a later call continues where this one stopped
     * @throws io.streamable.consume.ConsumerFencedException if another reader has taken over this
     *                                     reader's name; nothing more is returned
     * @throws io.streamable.StreamableException for a permanent problem the reader found, for example
     *                                     a log whose head moved below a position already returned
     *                                     (storage lost data); the message says what was found
     * @throws InterruptedException        if the thread is interrupted while waiting
     */
    ReadBatch read(int max, Duration maxWait) throws InterruptedException;

    /**
     * The position this reader started after: the saved or given position, the head for a
     * reader started at latest, empty when it started at the beginning.
     *
     * @return the start position, or empty for a reader that started at the beginning
     */
    Optional<Position> startPosition();

    /**
     * Saves a named reader's position; positions only move forward, so an older one is ignored.
     * Does nothing for an anonymous reader. The save is conditional on this reader still owning
     * its name (its fencing epoch): a fenced reader's commit is never applied. A group member's
     * commit advances each slot it owns to {@code consumed} and no other slot; it may be called from
     * inside its {@link RebalanceListener}.
     *
     * @param consumed the position up to which everything has been handled
     * @throws BackendUnavailableException if it cannot be saved now
     * @throws io.streamable.consume.ConsumerFencedException if another reader has taken over the name;
     *                                     nothing was saved
     */
    void commit(Position consumed);

    /**
     * The positions retention removed before this reader read them, found since the last call:
     * the reader resumed at the oldest stored record instead (a backend never skips silently, and
     * never treats a prefix removed by retention as lost data). A reader that started at the
     * beginning reports nothing for what was removed before it read anything. Called by the
     * reading thread after each {@link #read}; the default, for backends without retention, has
     * nothing to report.
     *
     * @return the gaps found since the last call, in the order found; empty when none
     */
    default List<RetentionGap> takeRetentionGaps() {
        return List.of();
    }

    /** Makes a blocked or the next {@link #read} return at once. */
    void wakeup();

    /** Releases the reader and its name's lease (a group member leaves its group, freeing its slots); idempotent. */
    @Override
    void close();
}
