package io.streamable.benchmarks;

import io.streamable.benchmarks.harness.Result;
import io.streamable.benchmarks.harness.Runner;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;

import io.streamable.benchmarks.report.ReportWriter;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The benchmark command: {@code benchmarks/run.sh [options]}. Runs the selected scenarios one after
 * the other in this JVM and ends with one {@code RESULT} line per scenario.
 */
public final class BenchmarkMain {
    /** What {@code --sweep} measures at every message count and size unless {@code --scenario} says otherwise. */
    static final List<String> SWEEP = List.of("inmemory-produce", "inmemory-consume", "kafka-produce", "kafka-consume");
    /** What {@code --sweep} runs once, at its default 1,000,000 messages of 100 B. */
    static final List<String> CATCH_UP = List.of("inmemory-catchup", "kafka-catchup");
    private static final String USAGE = """
            Usage: benchmarks/run.sh [options]
              --scenario LIST     comma-separated names or globs (inmemory-e2e,mongoredis-*); default all but
                                  the long ones --list marks (group-*), which run only when a
                                  pattern names them
              --messages N        messages per round, overriding each scenario's default
              --size BYTES        approximate JSON payload size; default 100
              --batch N           messages per batch append and per read; default 500
              --rounds N          measured rounds per side (median reported); default 3, 5 for inmemory-e2e
              --warmup N          warm-up rounds per side; default 1
              --rate N            messages/s sent by latency scenarios; default 200
              --latency-seconds N how long latency scenarios send per round; default 3
              --mongo-uri URI     use this MongoDB instead of the embedded one (env STREAMABLE_TEST_MONGO_URI)
              --redis-uri URI     use this Redis instead of the embedded one (env STREAMABLE_TEST_REDIS_URI)
              --kafka BOOTSTRAP   use this Kafka instead of the embedded one (env STREAMABLE_TEST_KAFKA_BOOTSTRAP)
              --list              print the scenarios and exit
            """;

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        Optional<Integer> messages = Optional.empty();
        int size = 100;
        int batch = 500;
        Optional<Integer> rounds = Optional.empty();
        int warmup = 1;
        boolean warmupGiven = false;
        int rate = 200;
        int latencySeconds = 3;
        String filter = "*";
        Optional<String> mongo = env("STREAMABLE_TEST_MONGO_URI");
        Optional<String> redis = env("STREAMABLE_TEST_REDIS_URI");
        Optional<String> kafka = env("STREAMABLE_TEST_KAFKA_BOOTSTRAP");
        boolean list = false;
        Optional<Path> report = Optional.empty();
        Optional<Path> fromLog = Optional.empty();
        boolean sweep = false;
        boolean filtered = false;
        List<Integer> sweepMessages = List.of(10_000, 100_000, 1_000_000);
        List<Integer> sweepSizes = List.of(100, 1000, 10_000);
        long sweepMaxMb = 1000;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--scenario" -> {
                    filter = value(args, ++i, arg);
                    filtered = true;
                }
                case "--report" -> report = Optional.of(Path.of(value(args, ++i, arg)));
                case "--from-log" -> fromLog = Optional.of(Path.of(value(args, ++i, arg)));
                case "--sweep" -> sweep = true;
                case "--sweep-messages" -> sweepMessages = numbers(value(args, ++i, arg), arg);
                case "--sweep-sizes" -> sweepSizes = numbers(value(args, ++i, arg), arg);
                case "--sweep-max-mb" -> sweepMaxMb = positive(args, ++i, arg);
                case "--messages" -> messages = Optional.of(positive(args, ++i, arg));
                case "--size" -> size = positive(args, ++i, arg);
                case "--batch" -> batch = positive(args, ++i, arg);
                case "--rounds" -> rounds = Optional.of(positive(args, ++i, arg));
                case "--warmup" -> {
                    warmup = nonNegative(args, ++i, arg);
                    warmupGiven = true;
                }
                case "--rate" -> rate = positive(args, ++i, arg);
                case "--latency-seconds" -> latencySeconds = positive(args, ++i, arg);
                case "--mongo-uri" -> mongo = Optional.of(value(args, ++i, arg));
                case "--redis-uri" -> redis = Optional.of(value(args, ++i, arg));
                case "--kafka" -> kafka = Optional.of(value(args, ++i, arg));
                case "--list" -> list = true;
                case "--help", "-h" -> {
                    System.out.print(USAGE);
                    return;
                }
                default -> fail("Unknown option " + arg);
            }
        }
        if (fromLog.isPresent()) {
            if (report.isEmpty()) {
                fail("--from-log needs --report DIR to say where the report goes");
            }
            List<Result> results = ReportWriter.parse(Files.readAllLines(fromLog.get()));
            ReportWriter.write(report.get(), results, "Results read from " + fromLog.get().getFileName());
            System.out.println("Report of " + results.size() + " results written to " + report.get());
            return;
        }
        if (sweep && !filtered) {
            filter = String.join(",", SWEEP);
        }
        Settings settings = new Settings(messages, size, batch, rounds, warmup, rate, Duration.ofSeconds(latencySeconds),
                new Settings.Servers(mongo, redis, kafka));

        List<Scenario> selected = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Pattern pattern = globs(filter);
        for (Supplier<Scenario> factory : Catalog.all()) {
            Scenario scenario = factory.get();
            names.add(scenario.name());
            // a run without --scenario leaves out what does not fit the full run's time budget
            if (pattern.matcher(scenario.name()).matches() && (filtered || scenario.inDefaultRun())) {
                selected.add(scenario);
            }
        }
        if (list) {
            for (Supplier<Scenario> factory : Catalog.all()) {
                Scenario scenario = factory.get();
                System.out.printf("%-34s %s%s%n", scenario.name(), scenario.inDefaultRun() ? "" : "(only with --scenario) ",
                        scenario.description());
            }
            return;
        }
        if (selected.isEmpty()) {
            fail("No scenario matches \"" + filter + "\". Scenarios: " + names);
        }
        for (String glob : filter.split(",")) {
            Pattern one = globs(glob);
            if (!glob.isBlank() && names.stream().noneMatch(name -> one.matcher(name).matches())) {
                System.out.println("note: \"" + glob.trim() + "\" matches no scenario; scenarios: " + names);
            }
        }

        System.out.printf("Streamable Topic benchmarks: %s, %d cores, max heap %d MB, Java %s%n",
                String.join(", ", selected.stream().map(Scenario::name).toList()),
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"));
        System.out.println("Settings: " + settings);
        long runStart = System.nanoTime();
        double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<Result> results = new ArrayList<>();
        boolean failed;
        if (sweep) {
            failed = false;
            for (int messagesPerRound : sweepMessages) {
                for (int payloadBytes : sweepSizes) {
                    if ((long) messagesPerRound * payloadBytes > sweepMaxMb * 1_000_000) {
                        System.out.printf(Locale.ROOT, "%nSKIPPED sweep cell %,d x %,d B: %,d MB per round exceeds"
                                + " --sweep-max-mb %d%n", messagesPerRound, payloadBytes,
                                (long) messagesPerRound * payloadBytes / 1_000_000, sweepMaxMb);
                        continue;
                    }
                    // the JVM is warm after the first cells: skip warm-up rounds of the large ones unless asked
                    Settings cell = new Settings(Optional.of(messagesPerRound), payloadBytes, batch,
                            Optional.of(rounds.orElse(1)), warmupGiven ? warmup : messagesPerRound > 100_000 ? 0 : 1,
                            rate, settings.latencyTime(), settings.servers());
                    failed |= runAll(fresh(pattern), cell, results);
                }
            }
            if (!filtered) {
                Settings catchUp = new Settings(Optional.empty(), 100, batch, Optional.of(rounds.orElse(1)),
                        warmupGiven ? warmup : 0, rate, settings.latencyTime(), settings.servers());
                failed |= runAll(fresh(globs(String.join(",", CATCH_UP))), catchUp, results);
            }
        } else {
            failed = runAll(selected, settings, results);
        }
        double loadAtEnd = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        System.out.printf(Locale.ROOT, "%nAll scenarios ran in %.0f s (load average %.1f at the start, %.1f at the end)%n",
                (System.nanoTime() - runStart) / 1e9, loadAtStart, loadAtEnd);
        results.forEach(result -> System.out.println(result.line()));
        if (report.isPresent() && !results.isEmpty()) {
            String note = String.format(Locale.ROOT, "Run ended %s UTC, %d cores, Java %s, load average %.1f at the start"
                            + " and %.1f at the end; ratios are framework / raw client in the same run.",
                    java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).withNano(0),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAtStart,
                    loadAtEnd);
            List<Path> written = ReportWriter.write(report.get(), results, note);
            System.out.println("Report: " + written.size() + " files in " + report.get() + " (index.md lists them)");
        }
        // embedded servers may leave non-daemon threads behind
        System.exit(failed ? 1 : 0);
    }

    /** Runs each scenario with {@code settings}, adding its result; {@return whether any failed} */
    private static boolean runAll(List<Scenario> scenarios, Settings settings, List<Result> results) {
        Runner runner = new Runner(settings, System.out);
        boolean failed = false;
        Set<String> schemes = Catalog.availableSchemes();
        for (Scenario scenario : scenarios) {
            Optional<String> backend = scenario.topicBackend();
            if (backend.isPresent() && !schemes.contains(backend.get())) {
                System.out.printf("%nSKIPPED %s: no backend for scheme \"%s\" on the class path (found %s)%n",
                        scenario.name(), backend.get(), schemes);
                continue;
            }
            try {
                results.add(runner.run(scenario));
            } catch (Exception | AssertionError | OutOfMemoryError e) {
                failed = true;
                System.out.println("FAILED " + scenario.name() + " (" + settings.messages().map(String::valueOf)
                        .orElse("default") + " messages of " + settings.payloadBytes() + " B): " + e);
                e.printStackTrace(System.out);
            }
        }
        return failed;
    }

    /** New instances of the scenarios whose names match, in catalog order. */
    private static List<Scenario> fresh(Pattern pattern) {
        List<Scenario> scenarios = new ArrayList<>();
        for (Supplier<Scenario> factory : Catalog.all()) {
            Scenario scenario = factory.get();
            if (pattern.matcher(scenario.name()).matches()) {
                scenarios.add(scenario);
            }
        }
        return scenarios;
    }

    private static List<Integer> numbers(String list, String option) {
        List<Integer> numbers = new ArrayList<>();
        for (String item : list.split(",")) {
            String text = item.trim().replace("_", "");
            try {
                int number = Integer.parseInt(text);
                if (number <= 0) {
                    fail(option + " takes positive numbers, got " + text);
                }
                numbers.add(number);
            } catch (NumberFormatException e) {
                fail(option + " takes a comma-separated list of whole numbers, got \"" + list + "\"");
            }
        }
        return List.copyOf(numbers);
    }

    private static Pattern globs(String filter) {
        List<String> alternatives = new ArrayList<>();
        for (String glob : filter.split(",")) {
            String trimmed = glob.trim();
            if (!trimmed.isEmpty()) {
                alternatives.add(Pattern.quote(trimmed).replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q"));
            }
        }
        return Pattern.compile(String.join("|", alternatives));
    }

    private static Optional<String> env(String name) {
        return Optional.ofNullable(System.getenv(name)).filter(value -> !value.isBlank());
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            fail(option + " needs a value");
        }
        return args[index];
    }

    private static int positive(String[] args, int index, String option) {
        int value = nonNegative(args, index, option);
        if (value == 0) {
            fail(option + " must be at least 1");
        }
        return value;
    }

    private static int nonNegative(String[] args, int index, String option) {
        String text = value(args, index, option).replace("_", "");
        try {
            int value = Integer.parseInt(text);
            if (value < 0) {
                fail(option + " must not be negative, got " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            fail(option + " needs a whole number, got \"" + text + "\"");
            return 0;
        }
    }

    private static void fail(String problem) {
        System.err.println(problem + "\n" + USAGE);
        System.exit(2);
    }
}
