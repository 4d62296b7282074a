package io.streamable.faults;

import java.util.List;

/**
 * The oracle's figures for one scenario.
 *
 * @param acked          distinct messages whose append the producers saw acknowledged
 * @param delivered      distinct messages the consumers' handlers received (acknowledged or not)
 * @param lost           acknowledged messages never delivered and not superseded by a delivered
 *                       newer message with the same logCompactId
 * @param duplicates     deliveries beyond the first of each message
 * @param reorders       deliveries, within one consumer process, of a message first seen after a
 *                       later message of its sharding key
 * @param reused         positions acknowledged to more than one message: a backend may hand out a
 *                       position once only
 * @param lostSamples    a few of the lost messages, for the report
 * @param reorderSamples a few of the reorders, for the report
 * @param reusedSamples  a few of the reused positions with the messages acknowledged there
 */
public record Verdict(long acked, long delivered, long lost, long duplicates, long reorders, long reused,
                      List<String> lostSamples, List<String> reorderSamples, List<String> reusedSamples) {

    public Verdict {
        lostSamples = List.copyOf(lostSamples);
        reorderSamples = List.copyOf(reorderSamples);
        reusedSamples = List.copyOf(reusedSamples);
    }
}
