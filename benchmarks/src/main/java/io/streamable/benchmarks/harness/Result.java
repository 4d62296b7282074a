package io.streamable.benchmarks.harness;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A scenario's outcome: the median of each side's measured rounds, and what the report and charts
 * need next to it (work size, latency percentiles, peak heap, machine load).
 *
 * @param scenario  the scenario's name
 * @param unit      what the figures are
 * @param framework the framework's median figure
 * @param baseline  the baseline's median figure
 * @param details   the work size and the figures behind the medians; {@link Details#UNKNOWN} when a
 *                  line from an older run did not carry them
 */
public record Result(String scenario, Unit unit, double framework, double baseline, Details details) {
    private static final String PREFIX = "RESULT ";

    public Result {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(details, "details");
    }

    /** A result without details, as older runs printed it. */
    public Result(String scenario, Unit unit, double framework, double baseline) {
        this(scenario, unit, framework, baseline, Details.UNKNOWN);
    }

    /** Framework over baseline for throughput, baseline over framework for latency: higher is better. */
    public double ratio() {
        return unit == Unit.THROUGHPUT ? framework / baseline : baseline / framework;
    }

    /**
     * The line the issue defines, one per scenario at the end of a run: its first five fields are
     * the ({@code scenario unit value baseline ratio}); the details follow them, so a reader
     * of the short form still reads it.
     */
    public String line() {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "RESULT scenario=%s unit=%s value=%s baseline=%s ratio=%.3f",
                scenario, unit.label(), figure(framework), figure(baseline), ratio()));
        if (details != Details.UNKNOWN) {
            line.append(String.format(Locale.ROOT,
                    " messages=%d size=%d p50=%.3f p99=%.3f max=%.3f base_p50=%.3f base_p99=%.3f base_max=%.3f"
                            + " heap_mb=%d base_heap_mb=%d load=%.1f",
                    details.messages(), details.payloadBytes(), details.framework().p50(), details.framework().p99(),
                    details.framework().max(), details.baseline().p50(), details.baseline().p99(),
                    details.baseline().max(), details.frameworkHeapMb(), details.baselineHeapMb(), details.load()));
        }
        return line.toString();
    }

    /**
     * Reads a line {@link #line()} printed (or the short form of earlier runs).
     *
     * @param line a {@code RESULT ...} line
     * @return the result it stands for
     * @throws IllegalArgumentException if the line is not a RESULT line or lacks a required field
     */
    public static Result parse(String line) {
        String text = line.strip();
        if (!text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("Not a RESULT line: \"" + line + "\"");
        }
        Map<String, String> fields = new HashMap<>();
        for (String token : text.substring(PREFIX.length()).trim().split("\\s+")) {
            int equals = token.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("Field \"" + token + "\" of \"" + line + "\" is not key=value");
            }
            fields.put(token.substring(0, equals), token.substring(equals + 1));
        }
        Unit unit = Unit.ofLabel(required(fields, "unit", line));
        double value = number(required(fields, "value", line), "value", line);
        double baseline = number(required(fields, "baseline", line), "baseline", line);
        Details details = Details.UNKNOWN;
        if (fields.containsKey("messages")) {
            details = new Details((long) number(fields.get("messages"), "messages", line),
                    (int) optional(fields, "size", line),
                    new Latency(optional(fields, "p50", line), optional(fields, "p99", line), optional(fields, "max", line)),
                    new Latency(optional(fields, "base_p50", line), optional(fields, "base_p99", line),
                            optional(fields, "base_max", line)),
                    (long) optional(fields, "heap_mb", line), (long) optional(fields, "base_heap_mb", line),
                    optional(fields, "load", line));
        }
        return new Result(required(fields, "scenario", line), unit, value, baseline, details);
    }

    private static String required(Map<String, String> fields, String key, String line) {
        String value = fields.get(key);
        if (value == null) {
            throw new IllegalArgumentException("RESULT line \"" + line + "\" has no " + key + "= field");
        }
        return value;
    }

    private static double optional(Map<String, String> fields, String key, String line) {
        String value = fields.get(key);
        return value == null ? Double.NaN : number(value, key, line);
    }

    private static double number(String value, String key, String line) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Field " + key + "=" + value + " of \"" + line + "\" is not a number", e);
        }
    }

    private String figure(double value) {
        return unit == Unit.THROUGHPUT ? String.format(Locale.ROOT, "%.0f", value)
                : String.format(Locale.ROOT, "%.3f", value);
    }

    /**
     * Latency percentiles of one side over all its measured rounds, in milliseconds.
     *
     * @param p50 the median
     * @param p99 the 99th percentile
     * @param max the largest
     */
    public record Latency(double p50, double p99, double max) {
    }

    /**
     * What a result was measured on and the figures behind its medians.
     *
     * @param messages        messages (or updates) per round
     * @param payloadBytes    approximate size of one payload
     * @param framework       the framework's latency percentiles
     * @param baseline        the baseline's latency percentiles
     * @param frameworkHeapMb the framework's peak heap over its measured rounds
     * @param baselineHeapMb  the baseline's peak heap over its measured rounds
     * @param load            the machine's one-minute load average when the scenario ended (NaN if unknown)
     */
    public record Details(long messages, int payloadBytes, Latency framework, Latency baseline,
                          long frameworkHeapMb, long baselineHeapMb, double load) {
        /** A result line that carried no details. */
        public static final Details UNKNOWN = new Details(0, 0, new Latency(Double.NaN, Double.NaN, Double.NaN),
                new Latency(Double.NaN, Double.NaN, Double.NaN), 0, 0, Double.NaN);
    }
}
