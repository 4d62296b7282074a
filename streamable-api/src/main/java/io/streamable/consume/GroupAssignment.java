package io.streamable.consume;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The share of a topic one instance of a named consumer handles now: the slots it owns among the
 * group's ({@link io.streamable.Slots}). A key's messages go to the instance that owns
 * {@code Slots.slotOf(key, slotCount)}.
 *
 * @param memberId  the instance's id in its group, as the CLI's {@code consumers} shows it
 * @param slotCount the group's slot count
 * @param slots     the slots this instance owns; empty while it waits for its share, or when the
 *                  group has more instances than slots
 */
public record GroupAssignment(String memberId, int slotCount, Set<Integer> slots) {
    /**
     * Copies the slots, sorted.
     *
     * @param memberId  the instance's id in its group
     * @param slotCount the group's slot count
     * @param slots     the slots this instance owns
     */
    public GroupAssignment {
        Objects.requireNonNull(memberId, "memberId");
        slots = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(slots));
    }
}
