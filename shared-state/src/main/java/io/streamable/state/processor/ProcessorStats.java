package io.streamable.state.processor;

/**
 * What one processor instance has done since it started.
 *
 * @param handled        deliveries handled through the state update (a redelivered message counts
 *                       again)
 * @param applied        messages whose state update this instance wrote
 * @param alreadyApplied messages refused because their update was already applied, by another
 *                       instance or before a restart
 * @param emitted        messages appended to the output topic
 * @param emitFailures   failed attempts to append a message's derived messages (they stay in the
 *                       outbox and are appended later: see {@link StateProcessor})
 * @param otherShards    messages passed over because they belong to another shard (see
 *                       {@link StateProcessorBuilder#shard(int, int)})
 * @param redelivered    output sets appended from the outbox: applied earlier, by this instance
 *                       or another, and not appended then
 */
public record ProcessorStats(long handled, long applied, long alreadyApplied, long emitted, long emitFailures,
                             long otherShards, long redelivered) {

    /**
     * Stats without outbox deliveries.
     *
     * @param handled        deliveries handled through the state update (a redelivered message counts
     *        again)
     * @param applied        messages whose state update this instance wrote
     * @param alreadyApplied messages refused because their update was already applied, by another
     *        instance or before a restart
     * @param emitted        messages appended to the output topic
     * @param emitFailures   failed attempts to append a message's derived messages (they stay in the
     *        outbox and are appended later: see {@link StateProcessor})
     * @param otherShards    messages passed over because they belong to another shard (see
     *        {@link StateProcessorBuilder#shard(int, int)})
     */
    public ProcessorStats(long handled, long applied, long alreadyApplied, long emitted, long emitFailures,
                          long otherShards) {
        this(handled, applied, alreadyApplied, emitted, emitFailures, otherShards, 0);
    }
}
