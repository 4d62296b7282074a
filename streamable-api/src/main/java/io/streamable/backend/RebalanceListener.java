package io.streamable.backend;

/**
 * What a consumer group member runs before its slots change: the barrier that lets a slot move
 * only once everything its old owner was handed is handled and committed. See
 * {@link ConsumerGroups} for when and on which thread it runs.
 */
@FunctionalInterface
public interface RebalanceListener {

    /**
     * Called on the reading thread, from inside {@link TopicReader#read}, before the backend releases
     * {@link Rebalance#revoked()} and takes {@link Rebalance#assigned()}. The framework finishes the
     * records it was handed (all of them when the change revokes or rewinds), commits through the
     * reader, and starts tracking positions afresh.
     *
     * @param change the slots about to be revoked and assigned
     */
    void beforeRebalance(Rebalance change);
}
