package io.streamable.backend;

import io.streamable.Position;

import java.util.Optional;
import java.util.Set;

/**
 * A {@link TopicReader} that is one member of a consumer group, from
 * {@link ConsumerGroups#joinGroup}. It reads only the records of the slots it owns; its
 * {@link #commit commit(p)} advances each of those slots to {@code p}; its slots change only
 * inside {@link #read}, after its {@link RebalanceListener} returned. {@link ConsumerGroups}
 * states the whole contract.
 *
 * <p>{@link #startPosition()} is where the member's first records start after: the lowest committed
 * offset of the slots it owned when {@code joinGroup} returned, empty when it owned none or one of
 * them starts at the beginning. {@link #slots()}, {@link #memberId()}, {@link #slotCount()} and
 * {@link #lag} may be called from any thread.
 */
public interface GroupMemberReader extends TopicReader {

    /** {@return this member's id, unique in its group over time (its epoch, for example), for logs and tools} */
    String memberId();

    /** {@return the group's slot count, fixed for the group's life} */
    int slotCount();

    /** {@return the slots this member owns now: a snapshot, empty while it owns none} */
    Set<Integer> slots();

    /**
     * How many stored records of this member's slots it has not handled: per owned slot, those after
     * the greater of the slot's committed offset and {@code handled}. May be an estimate, as
     * {@link TopicStore#lag} may.
     *
     * @param handled the position up to which the member has handled its records since its last
     *                rebalance, empty when it has handled none
     * @return the count, at least 0; 0 for a member without slots
     */
    long lag(Optional<Position> handled);
}
