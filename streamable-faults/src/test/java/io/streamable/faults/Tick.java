package io.streamable.faults;

/**
 * The payload the fault suite's producers write: which producer incarnation wrote it and its
 * sequence number in that incarnation. Per sharding key, {@code (incarnation, seq)} grows in the
 * order the producer appended, so it is the order a consumer must see.
 *
 * @param key         the sharding key it was appended under
 * @param incarnation the producer process's restart count, growing with every restart
 * @param seq         the message's number within that incarnation, from 1
 */
public record Tick(String key, int incarnation, long seq) {
}
