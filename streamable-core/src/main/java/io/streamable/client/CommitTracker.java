package io.streamable.client;

import io.streamable.Position;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Which position a consumer may save: per partition, the highest offset below which every record
 * read is handled, while records complete in any order. Records are {@linkplain #track tracked}
 * in the order the reader returned them (increasing offsets per partition) and
 * {@linkplain Slot#complete completed} as their handlers finish; a record's position names its
 * partition. Partitions the start position names begin at its offset.
 *
 * <p>Not thread-safe: the {@link Dispatcher} calls it under its lock.
 */
final class CommitTracker {
    private Optional<Position> start;
    /** Partition 0 is kept apart: single-log backends use it alone, so the common case needs no map lookup. */
    private Lane single;
    private final Map<Integer, Lane> lanes = new HashMap<>();
    private long completed;
    private long version;
    private long cachedVersion = -1;
    private Optional<Position> cached = Optional.empty();

    CommitTracker(Optional<Position> start) {
        this.start = start;
    }

    /** Registers a record read from the backend, before it is handed to a handler. */
    Slot track(Position position) {
        int partition;
        long offset;
        if (position.isSingleLog()) {
            partition = 0;
            offset = position.offset();
        } else {
            partition = position.offsets().firstKey();
            offset = position.offsets().get(partition);
        }
        Lane lane = partition == 0 ? single : lanes.get(partition);
        if (lane == null) {
            lane = new Lane(partition);
            if (partition == 0) {
                single = lane;
            } else {
                lanes.put(partition, lane);
            }
        }
        return lane.track(offset);
    }

    /**
     * Forgets every partition's records and the start, keeping the completed count: after a
     * consumer group rebalance the reader may return positions below those tracked so far (a slot
     * it gained is read again from its committed offset). Only when nothing is pending.
     */
    void restart() {
        if (pending() != 0) {
            throw new IllegalStateException("A commit tracker restarts only once every tracked record completed");
        }
        start = Optional.empty();
        single = null;
        lanes.clear();
        version++;
    }

    /** How many records completed since this tracker was made. */
    long completedCount() {
        return completed;
    }

    /** How many tracked records are not completed yet. */
    long pending() {
        long pending = single == null ? 0 : single.pending();
        for (Lane lane : lanes.values()) {
            pending += lane.pending();
        }
        return pending;
    }

    /**
     * The start position folded with every partition's handled prefix: what the consumer may
     * save. Empty while nothing is handled after a start at the beginning.
     */
    Optional<Position> handled() {
        if (cachedVersion == version) {
            return cached;
        }
        Map<Integer, Long> offsets = new TreeMap<>(start.map(Position::offsets).orElse(new TreeMap<>()));
        if (single != null && single.watermark >= 0) {
            offsets.merge(0, single.watermark, Math::max);
        }
        lanes.values().forEach(lane -> {
            if (lane.watermark >= 0) {
                offsets.merge(lane.partition, lane.watermark, Math::max);
            }
        });
        cached = offsets.isEmpty() ? Optional.empty() : Optional.of(Position.of(offsets));
        cachedVersion = version;
        return cached;
    }

    /** Notes, for close, the partitions' newest records whose handlers have started. */
    void freezeStarted() {
        if (single != null) {
            single.freeze();
        }
        lanes.values().forEach(Lane::freeze);
    }

    /** One record's place in its partition's lane. */
    final class Slot {
        private final Lane lane;
        private final long seq;

        private Slot(Lane lane, long seq) {
            this.lane = lane;
            this.seq = seq;
        }

        /** Marks the record handled (or skipped, or dead-lettered): the prefix may move past it. */
        void complete() {
            lane.complete(seq);
        }

        /** Notes that its handler started. */
        void started() {
            lane.maxStarted = Math.max(lane.maxStarted, seq);
        }

        /**
         * Whether, after {@link #freezeStarted()}, this record must still be handled: it lies at or
         * below the newest record already started in its partition, so leaving it would leave a
         * hole that makes the records after it be delivered again.
         */
        boolean belowFrozenStart() {
            return seq <= lane.frozenStarted;
        }

        /** The record's position, for reports. */
        Position position() {
            return Position.of(lane.partition, lane.offsetAt(seq));
        }
    }

    /** One partition: a ring of tracked offsets with their completion flags, oldest first. */
    private final class Lane {
        final int partition;
        long[] offsets = new long[64];
        boolean[] done = new boolean[64];
        long head;
        long tail;
        long watermark = -1;
        long maxStarted = -1;
        long frozenStarted = -1;

        Lane(int partition) {
            this.partition = partition;
        }

        Slot track(long offset) {
            if (tail - head == offsets.length) {
                grow();
            }
            int index = (int) (tail & (offsets.length - 1));
            offsets[index] = offset;
            done[index] = false;
            return new Slot(this, tail++);
        }

        void complete(long seq) {
            done[(int) (seq & (offsets.length - 1))] = true;
            completed++;
            boolean moved = false;
            while (head < tail && done[(int) (head & (offsets.length - 1))]) {
                watermark = offsets[(int) (head & (offsets.length - 1))];
                head++;
                moved = true;
            }
            if (moved) {
                version++;
            }
        }

        long offsetAt(long seq) {
            return offsets[(int) (seq & (offsets.length - 1))];
        }

        long pending() {
            long pending = 0;
            for (long seq = head; seq < tail; seq++) {
                if (!done[(int) (seq & (offsets.length - 1))]) {
                    pending++;
                }
            }
            return pending;
        }

        void freeze() {
            frozenStarted = maxStarted;
        }

        private void grow() {
            long[] grownOffsets = new long[offsets.length * 2];
            boolean[] grownDone = new boolean[offsets.length * 2];
            for (long seq = head; seq < tail; seq++) {
                grownOffsets[(int) (seq & (grownOffsets.length - 1))] = offsets[(int) (seq & (offsets.length - 1))];
                grownDone[(int) (seq & (grownOffsets.length - 1))] = done[(int) (seq & (offsets.length - 1))];
            }
            offsets = grownOffsets;
            done = grownDone;
        }
    }
}
