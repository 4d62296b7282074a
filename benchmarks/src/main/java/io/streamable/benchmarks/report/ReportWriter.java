package io.streamable.benchmarks.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.streamable.benchmarks.harness.Result;
import io.streamable.benchmarks.harness.Unit;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.IOException;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Writes a run's {@code RESULT} lines as {@code results.csv} and {@code results.json} and draws
 * PNG charts of them with JFreeChart: the ratio per scenario, throughput and peak heap against the
 * message count for every scenario measured at several counts (a {@code --sweep}), and latency
 * percentiles of the latency scenarios. {@code index.md} lists what was written.
 */
public final class ReportWriter {
    /** The ratio every scenario is asked to reach (issue 16). */
    static final double TARGET_RATIO = 0.9;
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 560;
    private static final Color[] PALETTE = {new Color(0x3b75af), new Color(0xef8636), new Color(0x519e3e),
        new Color(0xc53a32), new Color(0x8d69b8)};

    private ReportWriter() {
    }

    /**
     * Reads the {@code RESULT} lines out of a run's output; other lines are ignored.
     *
     * @param output the lines a run printed
     * @return the results, in order
     * @throws IllegalArgumentException if a RESULT line is malformed
     */
    public static List<Result> parse(List<String> output) {
        return output.stream().map(String::strip).filter(line -> line.startsWith("RESULT "))
                .map(Result::parse).toList();
    }

    /**
     * Writes the report of {@code results} into {@code directory}, creating it.
     *
     * @param directory where to write
     * @param results   the results of one run (or several, such as a run and a sweep)
     * @param note      one line about the run (date, machine load), written into {@code index.md}
     * @return the files written, in order
     * @throws IOException if a file cannot be written
     */
    public static List<Path> write(Path directory, List<Result> results, String note) throws IOException {
        if (results.isEmpty()) {
            throw new IllegalArgumentException("No RESULT lines to report; did every scenario fail or skip?");
        }
        Files.createDirectories(directory);
        List<Path> written = new ArrayList<>();
        written.add(writeCsv(directory.resolve("results.csv"), results));
        written.add(writeJson(directory.resolve("results.json"), results, note));
        written.add(save(ratioChart(results), directory.resolve("ratio.png")));
        Map<String, List<Result>> bySize = sweeps(results);
        for (Map.Entry<String, List<Result>> sweep : bySize.entrySet()) {
            written.add(save(curveChart(sweep.getKey(), sweep.getValue(), false),
                    directory.resolve("throughput-" + sweep.getKey() + ".png")));
            written.add(save(curveChart(sweep.getKey(), sweep.getValue(), true),
                    directory.resolve("heap-" + sweep.getKey() + ".png")));
        }
        List<Result> latency = results.stream().filter(result -> result.unit() == Unit.LATENCY)
                .filter(result -> result.details() != Result.Details.UNKNOWN).toList();
        if (!latency.isEmpty()) {
            written.add(save(latencyChart(latency), directory.resolve("latency.png")));
        }
        written.add(writeIndex(directory.resolve("index.md"), results, written, note));
        return written;
    }

    static Path writeCsv(Path file, List<Result> results) throws IOException {
        StringBuilder csv = new StringBuilder("scenario,unit,value,baseline,ratio,messages,size_bytes,p50_ms,p99_ms,"
                + "max_ms,baseline_p50_ms,baseline_p99_ms,baseline_max_ms,heap_mb,baseline_heap_mb,load\n");
        for (Result result : results) {
            Result.Details details = result.details();
            boolean known = details != Result.Details.UNKNOWN;
            csv.append(String.join(",", result.scenario(), result.unit().label(), number(result.framework()),
                    number(result.baseline()), String.format(Locale.ROOT, "%.3f", result.ratio()),
                    known ? Long.toString(details.messages()) : "", known ? Integer.toString(details.payloadBytes()) : "",
                    number(details.framework().p50()), number(details.framework().p99()),
                    number(details.framework().max()), number(details.baseline().p50()),
                    number(details.baseline().p99()), number(details.baseline().max()),
                    known ? Long.toString(details.frameworkHeapMb()) : "",
                    known ? Long.toString(details.baselineHeapMb()) : "", number(details.load()))).append('\n');
        }
        Files.writeString(file, csv);
        return file;
    }

    static Path writeJson(Path file, List<Result> results, String note) throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Result result : results) {
            Result.Details details = result.details();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", result.scenario());
            row.put("unit", result.unit().label());
            row.put("value", result.framework());
            row.put("baseline", result.baseline());
            row.put("ratio", Math.round(result.ratio() * 1000) / 1000.0);
            if (details != Result.Details.UNKNOWN) {
                row.put("messages", details.messages());
                row.put("sizeBytes", details.payloadBytes());
                row.put("latencyMs", latency(details.framework()));
                row.put("baselineLatencyMs", latency(details.baseline()));
                row.put("heapMb", details.frameworkHeapMb());
                row.put("baselineHeapMb", details.baselineHeapMb());
                row.put("load", Double.isNaN(details.load()) ? null : details.load());
            }
            rows.add(row);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("note", note);
        document.put("results", rows);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), document);
        return file;
    }

    private static Map<String, Object> latency(Result.Latency latency) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("p50", Double.isNaN(latency.p50()) ? null : latency.p50());
        map.put("p99", Double.isNaN(latency.p99()) ? null : latency.p99());
        map.put("max", Double.isNaN(latency.max()) ? null : latency.max());
        return map;
    }

    /** Throughput scenarios measured at more than one message count, by name. */
    static Map<String, List<Result>> sweeps(List<Result> results) {
        Map<String, List<Result>> byName = results.stream()
                .filter(result -> result.unit() == Unit.THROUGHPUT && result.details() != Result.Details.UNKNOWN)
                .collect(Collectors.groupingBy(Result::scenario, TreeMap::new, Collectors.toList()));
        byName.values().removeIf(list -> list.stream().map(result -> result.details().messages()).distinct().count() < 2);
        return byName;
    }

    static JFreeChart ratioChart(List<Result> results) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        Map<String, Long> occurrences = results.stream()
                .collect(Collectors.groupingBy(Result::scenario, Collectors.counting()));
        for (Result result : results) {
            String label = result.scenario();
            if (occurrences.get(label) > 1 && result.details() != Result.Details.UNKNOWN) {
                label += " " + count(result.details().messages()) + " x " + bytes(result.details().payloadBytes());
            }
            // a latency ratio of 400x would flatten every bar next to it; the CSV keeps the real figure
            dataset.addValue(Math.min(result.ratio(), 2.0), "framework / raw client (capped at 2)", label);
        }
        JFreeChart chart = ChartFactory.createBarChart("Ratio to the raw client, same run (higher is better)",
                "scenario", "ratio", dataset, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        ValueMarker target = new ValueMarker(TARGET_RATIO);
        target.setPaint(Color.RED);
        target.setLabel("target " + TARGET_RATIO);
        plot.addRangeMarker(target);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((BarRenderer) plot.getRenderer()).setSeriesPaint(0, new Color(0x3b75af));
        return chart;
    }

    static JFreeChart curveChart(String scenario, List<Result> results, boolean heap) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        for (int size : results.stream().map(result -> result.details().payloadBytes())
                .collect(Collectors.toCollection(TreeSet::new))) {
            XYSeries framework = new XYSeries("framework, " + bytes(size));
            XYSeries baseline = new XYSeries("raw client, " + bytes(size));
            for (Result result : results) {
                if (result.details().payloadBytes() == size) {
                    long messages = result.details().messages();
                    framework.add(messages, heap ? result.details().frameworkHeapMb() : result.framework());
                    baseline.add(messages, heap ? result.details().baselineHeapMb() : result.baseline());
                }
            }
            dataset.addSeries(framework);
            dataset.addSeries(baseline);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(scenario + (heap ? ": peak heap" : ": throughput")
                        + " vs messages per round", "messages per round", heap ? "peak heap (MB)" : "messages/s",
                dataset, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        LogAxis messages = new LogAxis("messages per round (log)");
        decades(messages, "#,##0");
        plot.setDomainAxis(messages);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int series = 0; series < dataset.getSeriesCount(); series++) {
            // framework solid, raw client dashed, same colour per payload size
            renderer.setSeriesPaint(series, PALETTE[(series / 2) % PALETTE.length]);
            if (series % 2 == 1) {
                renderer.setSeriesStroke(series, new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT,
                        java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        plot.setRenderer(renderer);
        return chart;
    }

    static JFreeChart latencyChart(List<Result> results) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        for (Result result : results) {
            Result.Details details = result.details();
            for (String side : List.of("framework", "raw client")) {
                Result.Latency latency = side.equals("framework") ? details.framework() : details.baseline();
                String category = result.scenario() + " (" + side + ")";
                dataset.addValue(latency.p50(), "p50", category);
                dataset.addValue(latency.p99(), "p99", category);
                dataset.addValue(latency.max(), "max", category);
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("Latency percentiles (ms, log scale)", "scenario",
                "milliseconds", dataset, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        LogAxis millis = new LogAxis("milliseconds (log)");
        decades(millis, "#,##0.##");
        millis.setSmallestValue(0.01);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeAxis(millis);
        BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBase(0.01); // bars start at the axis' floor, not at 0, which a log axis cannot show
        renderer.setIncludeBaseInRange(false);
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        return chart;
    }

    /** A log axis with one tick per power of ten, labelled as plain numbers rather than 10^x. */
    private static void decades(LogAxis axis, String pattern) {
        axis.setBase(10);
        axis.setTickUnit(new NumberTickUnit(1));
        axis.setNumberFormatOverride(new DecimalFormat(pattern, DecimalFormatSymbols.getInstance(Locale.ROOT)));
    }

    private static Path save(JFreeChart chart, Path file) throws IOException {
        chart.setBackgroundPaint(Color.WHITE);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        return file;
    }

    private static Path writeIndex(Path file, List<Result> results, List<Path> written, String note)
            throws IOException {
        StringBuilder index = new StringBuilder("# Benchmark report\n\n").append(note).append("\n\n");
        index.append("| scenario | messages | size | framework | raw client | ratio | heap MB (fw / raw) | load |\n");
        index.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Result result : results) {
            Result.Details details = result.details();
            boolean known = details != Result.Details.UNKNOWN;
            index.append(String.format(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %.3f | %s | %s |%n",
                    result.scenario(), known ? String.format(Locale.ROOT, "%,d", details.messages()) : "",
                    known ? bytes(details.payloadBytes()) : "", figure(result, result.framework()),
                    figure(result, result.baseline()), result.ratio(),
                    known ? details.frameworkHeapMb() + " / " + details.baselineHeapMb() : "",
                    known ? number(details.load()) : ""));
        }
        index.append('\n');
        for (Path path : written) {
            String name = path.getFileName().toString();
            index.append(name.endsWith(".png") ? "![" + name + "](" + name + ")\n\n" : "- [" + name + "](" + name + ")\n");
        }
        Files.writeString(file, index);
        return file;
    }

    private static String figure(Result result, double value) {
        return result.unit() == Unit.THROUGHPUT ? String.format(Locale.ROOT, "%,.0f msgs/s", value)
                : String.format(Locale.ROOT, "%.1f ms", value);
    }

    private static String number(double value) {
        if (Double.isNaN(value)) {
            return "";
        }
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.3f", value);
    }

    static String bytes(int size) {
        return size >= 1000 && size % 1000 == 0 ? size / 1000 + " KB" : size + " B";
    }

    private static String count(long messages) {
        return messages >= 1_000_000 && messages % 1_000_000 == 0 ? messages / 1_000_000 + "M"
                : messages >= 1000 && messages % 1000 == 0 ? messages / 1000 + "k" : Long.toString(messages);
    }
}
