package io.streamable.backend;

import java.util.Optional;

/**
 * An ability a {@link TopicStore} may also implement: named readers that share a consumer name
 * on this topic form a <em>consumer group</em> and split the topic's sharding keys between them.
 * The framework checks {@code store instanceof ConsumerGroups} and then starts every named
 * consumer with {@link #joinGroup}; a store without it keeps one live reader per name
 * ({@link TopicStore#openReader}, a second one is refused with
 * {@link io.streamable.consume.ConsumerNameInUseException}).
 *
 * <h2>Slots</h2>
 * The group splits the topic into a fixed number of slots: a record belongs to slot
 * {@link io.streamable.Slots#slotOf Slots.slotOf(shardingKey, slotCount)} (on Kafka a slot is a
 * partition; elsewhere the count is {@link io.streamable.Slots#DEFAULT_COUNT} unless configured).
 * The count is recorded with the group when its first member joins and never changes silently: a
 * member that asks for another count is refused with an {@link IllegalStateException} naming both
 * counts. At any moment a slot has at most one owner, and only its owner reads its records, so a
 * sharding key is read by one member at a time.
 *
 * <h2>Positions and commits</h2>
 * Records keep the positions they have for every other reader. The backend keeps a committed
 * offset per slot. A member's {@link TopicReader#commit commit(p)} means "every record of the
 * slots I own now, up to {@code p} in its partition, is handled": the backend sets each slot the
 * member owns to the greater of its committed offset and {@code p}'s offset in the slot's
 * partition (a single-log backend: partition 0), and leaves the other slots alone. The framework's
 * position is contiguous over what the member was handed, which is what makes this true.
 * {@link TopicStore#savedPosition} of a group is the conservative summary: per partition, the
 * lowest committed offset among its slots (empty while a slot that started at the beginning has
 * committed nothing); {@link TopicStore#resetPosition} sets every slot, and both it and
 * {@link TopicStore#deleteConsumer} are refused while the group has a live member.
 *
 * <h2>Membership</h2>
 * <ul>
 *   <li>{@link #joinGroup} returns at once. When the group has no other live member the new member
 *       owns every slot before it returns (today's single named consumer, same start); otherwise it
 *       owns none yet and gains its share through rebalances.</li>
 *   <li>Each member holds a lease with its own epoch, renewed by its connection like an exclusive
 *       reader's. A member whose lease expired is removed (its slots become free) and fenced: its
 *       {@link TopicReader#read read} and {@link TopicReader#commit commit} throw
 *       {@link io.streamable.consume.ConsumerFencedException} and its commits are never applied.</li>
 *   <li>{@link TopicReader#close} leaves the group at once: the member's slots become free, with
 *       their committed offsets as they are (the framework commits before closing).</li>
 *   <li>{@link TopicStore#openReader} with the group's name (an exclusive reader) is refused with
 *       {@link io.streamable.consume.ConsumerNameInUseException} while the group has a live member,
 *       and {@link #joinGroup} is refused the same way while an exclusive reader holds the name.</li>
 * </ul>
 *
 * <h2>Rebalancing</h2>
 * <ul>
 *   <li>The target assignment is balanced (every live member owns the slot count divided by the
 *       member count, rounded down or up), sticky (a member keeps the slots it has while within
 *       its share) and debounced: it is recomputed only once membership has not changed for the
 *       backend's debounce (a few hundred milliseconds, under a second), so a member that leaves
 *       and one that joins right after it move the leaver's slots once. A member whose share is
 *       the whole group gets it without waiting.</li>
 *   <li>Barrier: before a member's slots change, the backend calls the member's
 *       {@link RebalanceListener} with a {@link Rebalance}, on the thread that called
 *       {@link TopicReader#read read}, from inside {@code read} and from no other method, holding no
 *       lock that the listener's calls need. The listener may call this reader's
 *       {@link TopicReader#commit commit}, which then still applies to every slot the member owns
 *       before the change, revoked ones included; it must not call {@code read}. Only once it has
 *       returned does the backend release the revoked slots and take the assigned ones. If it
 *       throws, {@code read} throws the same, the member keeps its slots and the change is offered
 *       again at the next {@code read}.</li>
 *   <li>A slot moves to another member only after its owner's listener returned and the backend
 *       released it, after its owner closed, or after its owner's lease expired. The new owner reads
 *       it from its committed offset + 1: nothing is skipped, and what the old owner handled without
 *       committing is delivered again.</li>
 *   <li>An assigned slot may be taken later than announced, or not at all if the group changed in
 *       the meantime (it comes with a later rebalance); a revoked slot is always released.</li>
 *   <li>A waiting {@code read} returns as soon as a change concerns its member (a join or leave after
 *       the debounce, a slot freed for it), so members react within the debounce even when idle; once
 *       it made a change it returns without waiting further (with what the slots hold by then,
 *       perhaps nothing): the framework tells the user of the change after the read that made it. A
 *       member that does not call {@code read} (its handlers are busy) keeps its slots until it
 *       does; the members waiting for them pause that long, unless its lease expires.</li>
 *   <li>Members that keep their slots keep their records in flight: the framework waits for them
 *       to finish only when a change revokes or rewinds (see {@link Rebalance#rewinds()}), which
 *       is a brief pause for the keys that stay, not a stop of the group.</li>
 * </ul>
 *
 * <h2>Reads</h2>
 * A member's {@code read} returns only records of slots it owns, in position order within each
 * partition, each once between two rebalances. After a rebalance that assigned slots, records
 * start after each new slot's committed offset and may have lower positions than records returned
 * before it ({@link Rebalance#rewinds()}). {@link ReadBatch#caughtUp()} means the member has read
 * everything its slots held; a member without slots is caught up. {@link TopicReader#wakeup()} and
 * {@code close()} may be called from any thread, also while the listener runs.
 */
public interface ConsumerGroups {

    /**
     * Joins (creating it on first use) the consumer group of {@code spec}'s name on this topic.
     * A new group starts every slot at {@link ReaderSpec#start()}, saved at once, exactly as a
     * named reader saves its start; a group that exists keeps its committed offsets.
     *
     * @param spec     where a new group starts, and the group's name (the consumer name); must be named
     * @param listener called before this member's slots change, as the class documentation says
     * @return the member, which the caller reads from and closes
     * @throws IllegalArgumentException if {@code spec} is anonymous
     * @throws io.streamable.consume.ConsumerNameInUseException if an exclusive reader holds the name
     * @throws IllegalStateException if the group exists with another slot count than this member's backend asks for
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    GroupMemberReader joinGroup(ReaderSpec spec, RebalanceListener listener);

    /**
     * The state of a group for tools (the CLI's {@code consumers}, metrics): its members, their
     * slots, each slot's committed position and lag. A snapshot; it may be stale when returned.
     *
     * @param consumerName the group's name
     * @return its state, or empty when no group of that name exists on this topic
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    Optional<GroupDescription> describeGroup(String consumerName);
}
