package io.streamable.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamable.Position;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prints a topic's messages: from the beginning, the latest message, after a position, or as a
 * named consumer (which saves its position, so the next tail with that name goes on where this
 * one stopped). Without {@code --follow} it stops once it has caught up. Each message is printed
 * as a JSON line, its payload alone ({@code --output payload}) or through a template
 * ({@code --format}, see {@link OutputFormat}); {@code --partition} keeps one partition of a
 * partitioned backend's topic.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print a topic's messages on stdout: JSON lines, payloads, or a --format template.",
            "Progress and lag go to stderr. Stops when caught up, unless --follow."})
final class TailCommand implements Callable<Integer> {
    /** Backends whose topics are one log each, as their positions ("42") show: no partition to choose. */
    private static final Set<String> SINGLE_LOG = Set.of("memory", "mongoredis");

    /** What --output accepts, spelled as on the command line. */
    enum Output { json, payload }

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC")
    String topic;

    @Option(names = "--from", paramLabel = "beginning|latest|POSITION|INSTANT", defaultValue = "beginning",
            description = "Where to start (a named consumer: only the first time): after a position, or at an ISO-8601"
                + " instant such as 2026-12-01T10:00:00Z (the messages created at or after it); with --partition N,"
                + " a bare offset is an offset in partition N. Default: ${DEFAULT-VALUE}.")
    String from;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME",
            description = "Read as this named consumer: resume after its saved position and save it.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new messages until interrupted (Ctrl-C).")
    boolean follow;

    @Option(names = {"-m", "--max"}, paramLabel = "N", description = "Stop after N messages.")
    Long max;

    @Option(names = "--output", paramLabel = "json|payload", defaultValue = "json",
            description = "json: one JSON line per message with topic, position, createdAt, shardingKey, logCompactId,"
                + " headers and payload. payload: the payload alone, one JSON document per line, as produce reads it."
                + " Default: ${DEFAULT-VALUE}.")
    Output output;

    // picocli formats descriptions with String.format: the help spells placeholders with %%
    @Option(names = "--format", paramLabel = "TEMPLATE",
            description = "Print each message through TEMPLATE instead, e.g. '%%k %%p %%s\\n': %%t topic, %%p position,"
                + " %%k sharding key, %%c logCompactId (or nothing), %%s payload as JSON, %%r payload as text (a JSON"
                + " string without its quotes), %%T creation time, %%h headers as JSON, %%%% a percent sign;"
                + " escapes \\n \\t \\r \\\\. Nothing is added: end with \\n for one line per message.")
    String format;

    @Option(names = {"-p", "--partition"}, paramLabel = "N",
            description = "Only the messages of partition N, on a partitioned backend (Kafka). Not with --name,"
                + " whose saved position covers every partition.")
    Integer partition;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Option(names = "--progress-every", paramLabel = "DURATION", defaultValue = "2s",
            description = "How often to report progress while catching up (500ms, 1s, 2m, PT2S...). Default: ${DEFAULT-VALUE}.")
    Duration progressEvery;

    @Override
    public Integer call() throws InterruptedException {
        StreamableCli.topicName(topic);
        if (max != null && max < 1) {
            throw new UsageException("--max must be at least 1, got " + max);
        }
        if (format != null && output != Output.json) {
            throw new UsageException("Give one of --output and --format: --format prints every field you name");
        }
        OutputFormat printer = format != null ? OutputFormat.template(format)
                : output == Output.payload ? OutputFormat.payload() : OutputFormat.json();
        if (partition != null) {
            if (partition < 0) {
                throw new UsageException("--partition must be 0 or more, got " + partition);
            }
            if (name != null) {
                throw new UsageException("--partition cannot be combined with --name: a named consumer saves its"
                        + " position in every partition, so it would skip the other partitions' messages for good");
            }
        }
        StartFrom start = parseStart(from, partition);
        Streamable streamable = cli.streamable(spec);
        if (partition != null && SINGLE_LOG.contains(Session.scheme(streamable))) {
            throw new UsageException("--partition " + partition + ": " + streamable.backend().describe() + " keeps each"
                    + " topic in a single log, with no partitions to choose; leave out --partition");
        }
        if (!follow && !streamable.topics().contains(topic)) {
            throw new IllegalArgumentException("There is no topic \"" + topic + "\" in " + streamable.backend().describe()
                    + "; topics: " + new java.util.TreeSet<>(streamable.topics())
                    + ". Use --follow to wait for it to be created.");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AtomicLong printed = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ConsumerBuilder<JsonNode> builder = streamable.consumer(Json.topic(topic))
                .startFrom(start)
                // the tool shows data, it does not judge it: one attempt, then stop and say why
                .failurePolicy(FailurePolicy.stopOnFirstFailure())
                .handler(message -> {
                    if (done.isDone()) {
                        throw new IllegalStateException("tail is stopping"); // not acknowledged: a named tail sees it again
                    }
                    if (partition != null && !message.position().offsets().containsKey(partition)) {
                        return; // read and passed over: an anonymous consumer saves nothing
                    }
                    synchronized (out) {
                        out.print(printer.format(message));
                        if (follow) {
                            out.flush();
                        }
                    }
                    if (max != null && printed.incrementAndGet() >= max) {
                        done.complete(null);
                    } else if (max == null) {
                        printed.incrementAndGet();
                    }
                })
                .onCaughtUp(() -> {
                    synchronized (out) {
                        out.flush();
                    }
                    if (!follow) {
                        done.complete(null);
                    }
                })
                .onFailure(failure -> {
                    if (!done.isDone()) {
                        err.println(Messages.prefix(spec) + failure);
                    }
                });
        if (name != null) {
            builder.name(name);
            // save after every message, so a stop at --max resumes exactly after the last printed one
            builder.commitEvery(1, Duration.ZERO);
        }
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        Thread hook = new Thread(() -> {
            // Ctrl-C: stop, and give the consumer time to save a named position before the JVM exits
            done.complete(null);
            try {
                closed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "streamable-tail-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "streamable-tail-progress");
            thread.setDaemon(true);
            return thread;
        });
        try (Consumer<JsonNode> consumer = builder.start()) {
            consumer.stopped().whenComplete((ignored, failure) ->
                    done.completeExceptionally(failure != null ? failure
                            : new IllegalStateException("the consumer stopped")));
            if (!quiet) {
                long every = Math.max(100, progressEvery.toMillis());
                progress.scheduleAtFixedRate(() -> {
                    long lag = consumer.lag();
                    if (lag > 0) {
                        Messages.progress(spec, topic, printed.get(), "printed", lag,
                                consumer.position().map(Position::encode).orElse(null));
                    }
                }, every, every, TimeUnit.MILLISECONDS);
            }
            try {
                done.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("tail of \"" + topic + "\" stopped after " + printed.get()
                        + " message(s): " + e.getCause().getMessage(), e.getCause());
            }
        } finally {
            closed.countDown();
            progress.shutdownNow();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what is running us down; nothing to remove
            }
            out.flush();
        }
        return 0;
    }

    private static StartFrom parseStart(String from, Integer partition) {
        return switch (from) {
            case "beginning" -> StartFrom.beginning();
            case "latest" -> StartFrom.latest();
            default -> {
                if (from.contains("T")) {
                    yield StartFrom.at(Instants.parse("--from", from));
                }
                try {
                    Position position = Position.parse(from);
                    if (partition != null && !from.contains(":")) {
                        position = Position.of(partition, position.offset()); // kcat's -p N -o OFFSET
                    }
                    yield StartFrom.after(position);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--from " + from + ": expected beginning, latest, a position or an instant such as 2026-12-01T10:00:00Z. "
                            + e.getMessage(), e);
                }
            }
        };
    }
}
