package io.streamable.tck;

/** Abilities a backend declares in its {@link BackendFixture}; the suite reads them instead of being overridden. */
public enum Capability {
    /**
     * Topics have several partitions: positions span partitions and are ordered only within one
     * (per sharding key), not across the whole topic.
     */
    PARTITIONED,
    /**
     * Compaction happens some time after the newer message is stored (Kafka's log cleaner), not
     * as part of the append; the suite waits up to {@link BackendFixture#compactionTimeout()}.
     */
    LAZY_COMPACTION,
    /**
     * Named consumers are consumer groups ({@link io.streamable.backend.ConsumerGroups}): a second
     * live consumer with a name in use shares the topic's work instead of being refused with
     * {@link io.streamable.consume.ConsumerNameInUseException}. {@code ConsumerGroupContractTest}
     * checks the groups themselves; {@code BackendContractTest} asserts sharing with it and the
     * refusal without it.
     */
    CONSUMER_GROUPS,
    /**
     * Retention is the server's topic configuration (Kafka's {@code retention.ms} and
     * {@code retention.bytes}): there is no limit by message count, which the backend refuses
     * with a clear error; {@link io.streamable.backend.TopicStore#enforceRetention()} applies the
     * age limit at once.
     */
    SERVER_RETENTION,
    /**
     * Retention works with consumer groups (needs {@link #CONSUMER_GROUPS} too): a group member whose
     * slot's committed position, or a slot it gains in a rebalance, lies below the prefix retention
     * removed resumes at the oldest record kept and reports the gap, without a skip of a kept record.
     * {@code RetentionContractTest} then runs its group story with two members on several keys;
     * without it, with a group of one on one key.
     */
    RETENTION_WITH_GROUPS
}
