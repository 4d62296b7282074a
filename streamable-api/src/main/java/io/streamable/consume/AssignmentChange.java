package io.streamable.consume;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A change of the slots one instance of a named consumer owns in its consumer group, after it took
 * effect: what Kafka's {@code ConsumerRebalanceListener} reports as partitions revoked and assigned,
 * in one value. The slots are the group's ({@link io.streamable.Slots}; on Kafka a slot is a
 * partition), as in {@link GroupAssignment}.
 *
 * <p>{@link #revoked()} slots are released: everything this instance was handed from them has
 * been handled and its position saved (as far as the saves succeeded), and another instance may
 * read them now. {@link #assigned()} slots are owned: this instance delivers their messages from
 * their saved positions on, starting right after the listener returns.
 *
 * @param topic        the topic
 * @param consumerName the consumer's name: the group
 * @param memberId     this instance's id in the group, as in {@link GroupAssignment#memberId()}
 * @param slotCount    the group's slot count
 * @param previous     the slots it owned before the change
 * @param owned        the slots it owns now; empty once it stopped, or while the group has more
 *                     instances than slots
 * @param at           when the change was seen to take effect
 */
public record AssignmentChange(String topic, String consumerName, String memberId, int slotCount,
                               Set<Integer> previous, Set<Integer> owned, Instant at) {

    /**
     * Copies the sets, sorted, and checks the change is one.
     *
     * @param topic        the topic
     * @param consumerName the consumer's name
     * @param memberId     this instance's id in the group
     * @param slotCount    the group's slot count, at least 1
     * @param previous     the slots owned before, each within {@code 0..slotCount-1}
     * @param owned        the slots owned now, each within {@code 0..slotCount-1}, not equal to {@code previous}
     * @param at           when the change took effect
     */
    public AssignmentChange {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(consumerName, "consumerName");
        Objects.requireNonNull(memberId, "memberId");
        Objects.requireNonNull(at, "at");
        if (slotCount < 1) {
            throw new IllegalArgumentException("A group's slot count is at least 1, got " + slotCount);
        }
        previous = sorted(previous, slotCount, "previous");
        owned = sorted(owned, slotCount, "owned");
        if (previous.equals(owned)) {
            throw new IllegalArgumentException("Not a change: the slots owned before and now are both " + owned);
        }
    }

    /** {@return the slots owned now and not before: taken in this change} */
    public Set<Integer> assigned() {
        SortedSet<Integer> assigned = new TreeSet<>(owned);
        assigned.removeAll(previous);
        return Collections.unmodifiableSortedSet(assigned);
    }

    /** {@return the slots owned before and not now: released in this change} */
    public Set<Integer> revoked() {
        SortedSet<Integer> revoked = new TreeSet<>(previous);
        revoked.removeAll(owned);
        return Collections.unmodifiableSortedSet(revoked);
    }

    private static Set<Integer> sorted(Set<Integer> slots, int slotCount, String what) {
        Objects.requireNonNull(slots, what + ": pass an empty set for none");
        for (Integer slot : slots) {
            if (slot == null || slot < 0 || slot >= slotCount) {
                throw new IllegalArgumentException("Slot " + slot + " in " + what + " is outside 0.." + (slotCount - 1));
            }
        }
        return Collections.unmodifiableSortedSet(new TreeSet<>(slots));
    }
}
