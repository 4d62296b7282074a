package io.streamable.backend;

import io.streamable.Position;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A consumer group's state as tools show it: members and their slots, each slot's committed
 * position, owner and lag. From {@link ConsumerGroups#describeGroup}.
 *
 * @param consumerName the group's name
 * @param slotCount    its slot count
 * @param members      its live members, oldest first
 * @param slots        every slot, by number
 */
public record GroupDescription(String consumerName, int slotCount, List<Member> members, List<SlotState> slots) {

    /**
     * Copies the lists.
     *
     * @param consumerName the group's name
     * @param slotCount    its slot count
     * @param members      its live members, oldest first
     * @param slots        every slot, by number
     */
    public GroupDescription {
        Objects.requireNonNull(consumerName, "consumerName");
        members = List.copyOf(members);
        slots = List.copyOf(slots);
    }

    /**
     * One live member.
     *
     * @param memberId its id ({@link GroupMemberReader#memberId()})
     * @param slots    the slots it owns now
     */
    public record Member(String memberId, Set<Integer> slots) {
        /**
         * Copies the slots, sorted.
         *
         * @param memberId its id
         * @param slots    the slots it owns now
         */
        public Member {
            Objects.requireNonNull(memberId, "memberId");
            slots = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(slots));
        }
    }

    /**
     * One slot.
     *
     * @param slot      its number
     * @param committed its committed position, empty while it has committed nothing since starting at the beginning
     * @param owner     the id of the member that owns it, empty while it is free (moving between members)
     * @param lag       how many stored records of the slot lie after its committed position
     */
    public record SlotState(int slot, Optional<Position> committed, Optional<String> owner, long lag) {
        /**
         * Checks the fields.
         *
         * @param slot      its number
         * @param committed its committed position
         * @param owner     the owning member's id, if any
         * @param lag       records after the committed position
         */
        public SlotState {
            Objects.requireNonNull(committed, "committed: Optional.empty() for none");
            Objects.requireNonNull(owner, "owner: Optional.empty() for a free slot");
        }
    }
}
