package io.streamable.benchmarks.harness;

import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs one scenario: warm-up rounds, then measured rounds in which the baseline and the framework
 * take turns (baseline first in even rounds, framework first in odd ones), so drift and garbage
 * left by one side hit both. Reports each side's median figure, its latency percentiles over all
 * measured rounds and its peak heap.
 */
public final class Runner {
    private final Settings settings;
    private final PrintStream out;

    public Runner(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** Sets the scenario up, runs it and closes it. */
    public Result run(Scenario scenario) throws Exception {
        out.printf("%n=== %s: %s%n", scenario.name(), scenario.description());
        long setUpStart = System.nanoTime();
        try (scenario; HeapMeter heap = new HeapMeter()) {
            scenario.setUp(settings);
            out.printf(Locale.ROOT, "set up in %.1f s%n", (System.nanoTime() - setUpStart) / 1e9);
            Side framework = new Side("framework");
            Side baseline = new Side("baseline");
            int total = settings.warmupRounds() + settings.rounds().orElse(scenario.defaultRounds());
            for (int round = 0; round < total; round++) {
                boolean measured = round >= settings.warmupRounds();
                Side[] order = round % 2 == 0 ? new Side[] {baseline, framework} : new Side[] {framework, baseline};
                for (Side side : order) {
                    heap.reset();
                    Round result = side == framework ? scenario.framework(round) : scenario.baseline(round);
                    long peak = heap.peak();
                    long gc = heap.gcMillis();
                    side.add(result, peak, measured);
                    out.printf(Locale.ROOT, "%s round %d %-9s %,d ops in %.3f s = %,.0f ops/s, p99 %.3f ms, peak heap %,d MB,"
                                    + " gc %,d ms%n", measured ? "measured" : "warm-up ", round + 1, side.name,
                            result.operations(), result.elapsedNanos() / 1e9, result.throughput(), result.p99Millis(),
                            peak >> 20, gc);
                }
            }
            for (Side side : List.of(framework, baseline)) {
                out.printf(Locale.ROOT, "%-9s median %,.0f msgs/s; latency (%s) p50 %.3f ms, p99 %.3f ms, max %.3f ms;"
                                + " peak heap %,d MB%n", side.name, side.medianThroughput(),
                        side == framework ? scenario.latencyMeaning() : "baseline", side.percentileMillis(50),
                        side.percentileMillis(99), side.latencies.getMaxValue() / 1e6, side.peakHeap >> 20);
            }
            double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
            Result.Details details = new Result.Details(framework.operations(), scenario.payloadBytes(settings),
                    framework.latency(), baseline.latency(), framework.peakHeap >> 20, baseline.peakHeap >> 20,
                    load < 0 ? Double.NaN : load);
            Result result = scenario.unit() == Unit.THROUGHPUT
                    ? new Result(scenario.name(), Unit.THROUGHPUT, framework.medianThroughput(),
                            baseline.medianThroughput() * scenario.baselineScale(), details)
                    : new Result(scenario.name(), Unit.LATENCY, framework.medianP99(), baseline.medianP99(), details);
            if (scenario.unit() == Unit.THROUGHPUT && scenario.baselineScale() != 1) {
                out.printf(Locale.ROOT, "baseline median x %.0f = %,.0f msgs/s (the RESULT line's baseline)%n",
                        scenario.baselineScale(), baseline.medianThroughput() * scenario.baselineScale());
            }
            out.printf(Locale.ROOT, "%s ratio %.3f (scenario took %.0f s, load average %.1f)%n", scenario.name(),
                    result.ratio(), (System.nanoTime() - setUpStart) / 1e9, load);
            return result;
        }
    }

    /** The rounds of one side. */
    private static final class Side {
        final String name;
        final List<Round> rounds = new ArrayList<>();
        final Histogram latencies = Round.newHistogram();
        long peakHeap;

        Side(String name) {
            this.name = name;
        }

        void add(Round round, long peak, boolean measured) {
            if (!measured) {
                return;
            }
            rounds.add(round);
            latencies.add(round.latencies());
            peakHeap = Math.max(peakHeap, peak);
        }

        double medianThroughput() {
            return median(rounds.stream().mapToDouble(Round::throughput).toArray());
        }

        double medianP99() {
            return median(rounds.stream().mapToDouble(Round::p99Millis).toArray());
        }

        long operations() {
            return rounds.isEmpty() ? 0 : rounds.get(0).operations();
        }

        Result.Latency latency() {
            return new Result.Latency(percentileMillis(50), percentileMillis(99), latencies.getMaxValue() / 1e6);
        }

        double percentileMillis(double percentile) {
            return latencies.getValueAtPercentile(percentile) / 1e6;
        }

        private static double median(double[] values) {
            Arrays.sort(values);
            int middle = values.length / 2;
            return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        }
    }
}
