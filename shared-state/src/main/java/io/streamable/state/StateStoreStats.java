package io.streamable.state;

/**
 * Counters of one {@link StateStore} handle since it was made, for monitoring and benchmarks.
 *
 * @param applied        updates and deletes written
 * @param alreadyApplied updates refused because their source was already applied
 * @param conflicts      writes that lost a race with another writer and were retried
 */
public record StateStoreStats(long applied, long alreadyApplied, long conflicts) {
}
