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

    /**
     * The unit a RESULT line's {@code unit=} field names.
     *
     * @param label {@code msgs/s} or {@code ms}
     * @return the unit
     * @throws IllegalArgumentException for any other label
     */
    public static Unit ofLabel(String label) {
        for (Unit unit : values()) {
            if (unit.label.equals(label)) {
                return unit;
            }
        }
        throw new IllegalArgumentException("Unknown unit \"" + label + "\"; expected msgs/s or ms");
    }
}
