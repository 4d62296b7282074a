package io.streamable.benchmarks.harness;

import org.HdrHistogram.Histogram;

import java.util.Objects;

/**
 * What one side (framework or baseline) did in one round.
 *
 * @param operations   messages (or updates) completed
 * @param elapsedNanos wall time of the measured part
 * @param latencies    per-operation latencies in nanoseconds; what they span is stated by the scenario
 */
public record Round(long operations, long elapsedNanos, Histogram latencies) {
    public Round {
        Objects.requireNonNull(latencies, "latencies");
        if (operations <= 0 || elapsedNanos <= 0) {
            throw new IllegalArgumentException("A round must complete work in positive time: " + operations
                    + " operations in " + elapsedNanos + " ns");
        }
    }

    /** A histogram for latencies in nanoseconds up to 10 min, 3 significant digits. */
    public static Histogram newHistogram() {
        return new Histogram(600_000_000_000L, 3);
    }

    /** Operations per second. */
    public double throughput() {
        return operations * 1e9 / elapsedNanos;
    }

    /** The 99th percentile latency in milliseconds. */
    public double p99Millis() {
        return latencies.getValueAtPercentile(99) / 1e6;
    }
}
