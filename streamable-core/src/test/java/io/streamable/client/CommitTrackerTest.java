package io.streamable.client;

import io.streamable.Position;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("CommitTracker: the saved position is the handled prefix, whatever order records complete in")
class CommitTrackerTest {

    private static List<CommitTracker.Slot> track(CommitTracker tracker, Position... positions) {
        List<CommitTracker.Slot> slots = new ArrayList<>();
        for (Position position : positions) {
            slots.add(tracker.track(position));
        }
        return slots;
    }

    @Test
    @DisplayName("single log: the position moves only over records completed without a gap before them")
    void singleLogOutOfOrder() {
        CommitTracker tracker = new CommitTracker(Optional.empty());
        List<CommitTracker.Slot> slots = track(tracker, Position.of(0), Position.of(1), Position.of(2),
                Position.of(3), Position.of(4));

        slots.get(2).complete();
        assertThat(tracker.handled()).as("nothing before 2 is handled").isEmpty();
        slots.get(0).complete();
        assertThat(tracker.handled()).contains(Position.of(0));
        slots.get(1).complete();
        assertThat(tracker.handled()).as("1 closes the gap up to the already completed 2").contains(Position.of(2));
        slots.get(4).complete();
        assertThat(tracker.handled()).contains(Position.of(2));
        slots.get(3).complete();
        assertThat(tracker.handled()).contains(Position.of(4));
        assertThat(tracker.completedCount()).isEqualTo(5);
        assertThat(tracker.pending()).isZero();
    }

    @Test
    @DisplayName("single log with gaps in the offsets (compaction) and a start position: the prefix starts after it")
    void startPositionAndOffsetGaps() {
        CommitTracker tracker = new CommitTracker(Optional.of(Position.of(9)));
        List<CommitTracker.Slot> slots = track(tracker, Position.of(12), Position.of(15));

        assertThat(tracker.handled()).contains(Position.of(9));
        slots.get(1).complete();
        assertThat(tracker.handled()).contains(Position.of(9));
        slots.get(0).complete();
        assertThat(tracker.handled()).contains(Position.of(15));
    }

    @Test
    @DisplayName("partitioned: each partition has its own prefix, and one partition's gap does not hold back another")
    void partitionedOutOfOrder() {
        CommitTracker tracker = new CommitTracker(Optional.of(Position.parse("0:4,1:7")));
        List<CommitTracker.Slot> slots = track(tracker, Position.of(0, 5), Position.of(1, 8), Position.of(0, 6),
                Position.of(2, 0), Position.of(1, 9));

        slots.get(4).complete();
        slots.get(2).complete();
        assertThat(tracker.handled()).as("gaps at 0:5 and 1:8; partition 2 not handled").contains(Position.parse("0:4,1:7"));
        slots.get(3).complete();
        assertThat(tracker.handled()).contains(Position.parse("0:4,1:7,2:0"));
        slots.get(0).complete();
        assertThat(tracker.handled()).contains(Position.parse("0:6,1:7,2:0"));
        slots.get(1).complete();
        assertThat(tracker.handled()).contains(Position.parse("0:6,1:9,2:0"));
    }

    @Test
    @DisplayName("thousands of records completed in reverse order: the ring grows and the prefix ends at the newest")
    void growsAndCompletesInReverse() {
        CommitTracker tracker = new CommitTracker(Optional.empty());
        List<CommitTracker.Slot> slots = new ArrayList<>();
        for (int offset = 0; offset < 5_000; offset++) {
            slots.add(tracker.track(Position.of(offset)));
        }
        for (int i = slots.size() - 1; i > 0; i--) {
            slots.get(i).complete();
        }
        assertThat(tracker.handled()).isEmpty();
        assertThat(tracker.pending()).isEqualTo(1);

        slots.get(0).complete();

        assertThat(tracker.handled()).contains(Position.of(4_999));
    }

    @Test
    @DisplayName("after freezeStarted, only records at or below the newest started one of their partition must still run")
    void frozenStart() {
        CommitTracker tracker = new CommitTracker(Optional.empty());
        List<CommitTracker.Slot> slots = track(tracker, Position.of(0, 0), Position.of(0, 1), Position.of(0, 2),
                Position.of(1, 0));
        slots.get(1).started();

        tracker.freezeStarted();

        assertThat(slots.get(0).belowFrozenStart()).as("a hole below a started record").isTrue();
        assertThat(slots.get(1).belowFrozenStart()).isTrue();
        assertThat(slots.get(2).belowFrozenStart()).isFalse();
        assertThat(slots.get(3).belowFrozenStart()).as("nothing started in partition 1").isFalse();
        assertThat(slots.get(2).position()).isEqualTo(Position.of(0, 2));
    }
}
