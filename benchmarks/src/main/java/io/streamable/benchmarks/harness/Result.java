package io.streamable.benchmarks.harness;

import java.util.Locale;

/**
 * A scenario's outcome: the median of each side's measured rounds.
 *
 * @param scenario  the scenario's name
 * @param unit      what the figures are
 * @param framework the framework's median figure
 * @param baseline  the baseline's median figure
 */
public record Result(String scenario, Unit unit, double framework, double baseline) {

    /** Framework over baseline for throughput, baseline over framework for latency: higher is better. */
    public double ratio() {
        return unit == Unit.THROUGHPUT ? framework / baseline : baseline / framework;
    }

    /** The line the issue defines, one per scenario at the end of a run. */
    public String line() {
        return String.format(Locale.ROOT, "RESULT scenario=%s unit=%s value=%s baseline=%s ratio=%.3f",
                scenario, unit.label(), figure(framework), figure(baseline), ratio());
    }

    private String figure(double value) {
        return unit == Unit.THROUGHPUT ? String.format(Locale.ROOT, "%.0f", value)
                : String.format(Locale.ROOT, "%.3f", value);
    }
}
