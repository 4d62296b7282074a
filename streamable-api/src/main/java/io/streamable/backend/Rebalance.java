package io.streamable.backend;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A change of a consumer group member's slots, announced to its {@link RebalanceListener} before
 * it happens.
 *
 * @param revoked   slots the member owns now and releases once the listener returns
 * @param assigned  slots the member takes once the listener returns (possibly fewer, see {@link ConsumerGroups})
 * @param slotCount the group's slot count
 * @param rewinds   whether records read after the change may have lower positions, in a partition,
 *                  than records read before it: true on a single-log backend when a slot is
 *                  assigned (it is read again from its committed offset), false where every slot is
 *                  a partition of its own (Kafka). When false and nothing is revoked, the listener
 *                  need not wait for the records in flight.
 */
public record Rebalance(Set<Integer> revoked, Set<Integer> assigned, int slotCount, boolean rewinds) {

    /**
     * Copies the sets, sorted, and checks the slots are within the count.
     *
     * @param revoked   slots the member owns now and releases once the listener returns
     * @param assigned  slots the member takes once the listener returns
     * @param slotCount the group's slot count
     * @param rewinds   whether positions may go back after the change
     */
    public Rebalance {
        Objects.requireNonNull(revoked, "revoked: pass an empty set for none");
        Objects.requireNonNull(assigned, "assigned: pass an empty set for none");
        if (slotCount < 1) {
            throw new IllegalArgumentException("A group's slot count is at least 1, got " + slotCount);
        }
        for (Set<Integer> slots : java.util.List.of(revoked, assigned)) {
            for (Integer slot : slots) {
                if (slot == null || slot < 0 || slot >= slotCount) {
                    throw new IllegalArgumentException("Slot " + slot + " is outside 0.." + (slotCount - 1));
                }
            }
        }
        revoked = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(revoked));
        assigned = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(assigned));
    }

    /** {@return whether the listener must finish the records in flight: something is revoked, or positions rewind} */
    public boolean needsDrain() {
        return !revoked.isEmpty() || rewinds;
    }
}
