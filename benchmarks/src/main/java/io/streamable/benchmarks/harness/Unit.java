package io.streamable.benchmarks.harness;

/** What a scenario's headline figure measures, and which way is better. */
public enum Unit {
    /** Messages per second; higher is better, ratio = framework / baseline. */
    THROUGHPUT("msgs/s"),
    /** Milliseconds of p99 latency; lower is better, ratio = baseline / framework. */
    LATENCY("ms");

    private final String label;

    Unit(String label) {
        this.label = label;
    }

    /** The label printed in RESULT lines. */
    public String label() {
        return label;
    }
}
