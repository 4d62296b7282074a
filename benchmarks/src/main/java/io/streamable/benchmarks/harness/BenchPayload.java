package io.streamable.benchmarks.harness;

/**
 * The small JSON payload every scenario sends, the same for framework and baseline.
 *
 * @param seq       the message's number within its round
 * @param key       its sharding key
 * @param sentNanos {@link System#nanoTime()} when it was created, for produce-to-handler latency
 * @param body      filler that brings the encoded size to the requested payload size
 */
public record BenchPayload(long seq, String key, long sentNanos, String body) {
}
