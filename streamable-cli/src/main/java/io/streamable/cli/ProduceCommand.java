package io.streamable.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Appends JSON payloads to a topic, from arguments or from standard input (one JSON document per
 * line, blank lines ignored). Prints one JSON line per appended message with its position.
 *
 * <p>Standard input is streamed: a line is sent as soon as it arrives, together with whatever
 * else arrives within {@code --linger} (5 ms), up to {@value #BATCH} lines, so
 * {@code tail -f app.log | streamable produce ...} delivers each line at once while a big file
 * still goes in batches. A reader thread fills a bounded queue (backpressure on the pipe); the
 * command's thread sends. Each batch is checked before anything of it is appended; at a bad line,
 * the lines before it are appended and reported, and the error names the bad line, so nothing is
 * lost or appended twice when the input is fixed and fed again from that line.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Append JSON payloads to a topic, from arguments or stdin (one JSON document per line).",
            "Each stdin line is sent as it arrives. Prints {\"position\":...,\"shardingKey\":...} per message."})
final class ProduceCommand implements Callable<Integer> {
    private static final int BATCH = 500;
    /** Marks the end of standard input in the queue. */
    private static final Line END = new Line("end of input", "");

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to append to; created on first use.")
    String topic;

    @Parameters(index = "1..*", paramLabel = "JSON", arity = "0..*",
            description = "Payloads; without them, lines of standard input are read.")
    List<String> payloads = new ArrayList<>();

    @Option(names = {"-k", "--key"}, paramLabel = "KEY", description = "Sharding key of every message.")
    String key;

    @Option(names = {"-K", "--key-field"}, paramLabel = "FIELD",
            description = "Take each message's sharding key from this top-level field of its payload.")
    String keyField;

    @Option(names = {"-c", "--compact-id"}, paramLabel = "ID", description = "logCompactId of every message.")
    String compactId;

    @Option(names = {"-C", "--compact-id-field"}, paramLabel = "FIELD",
            description = "Take each message's logCompactId from this top-level field of its payload.")
    String compactIdField;

    @Option(names = {"-H", "--header"}, paramLabel = "NAME=VALUE", description = "A header on every message.")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--linger", paramLabel = "DURATION", defaultValue = "5ms",
            description = "How long to wait for more stdin lines before sending those that arrived (500ms, 1s,"
                + " PT1S...). Default: ${DEFAULT-VALUE}.")
    Duration linger;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Option(names = "--progress-every", paramLabel = "DURATION", defaultValue = "2s",
            description = "How often to report progress on stderr while stdin is read, when something was appended"
                + " (500ms, 1s, 2m, PT2S...). Default: ${DEFAULT-VALUE}.")
    Duration progressEvery;

    private volatile int appended;
    private volatile String lastPosition;

    @Override
    public Integer call() throws IOException, InterruptedException {
        StreamableCli.topicName(topic);
        if ((key == null) == (keyField == null)) {
            throw new UsageException("Give exactly one of --key KEY (one sharding key for all messages) or"
                    + " --key-field FIELD (each payload's own field); messages with one key keep their order");
        }
        if (compactId != null && compactIdField != null) {
            throw new UsageException("Give at most one of --compact-id and --compact-id-field");
        }
        // check options once, so an error names the option rather than the first line
        OutgoingMessage<JsonNode> probe = OutgoingMessage.of("probe", Json.MAPPER.nullNode());
        try {
            for (Map.Entry<String, String> header : headers.entrySet()) {
                probe = probe.withHeader(header.getKey(), header.getValue());
            }
            if (compactId != null) {
                probe.withLogCompactId(compactId);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Producer<JsonNode> producer = cli.streamable(spec).producer(Json.topic(topic))) {
            if (!payloads.isEmpty()) {
                List<Line> lines = new ArrayList<>();
                for (int i = 0; i < payloads.size(); i++) {
                    lines.add(new Line("argument " + (i + 1), payloads.get(i)));
                }
                appendChecked(producer, lines, out);
            } else {
                if (cli.stdin == System.in && System.console() != null) {
                    spec.commandLine().getErr().println(Messages.prefix(spec)
                            + "reading JSON payloads from stdin, one per line; Ctrl-D ends.");
                    spec.commandLine().getErr().flush();
                }
                streamStdin(producer, out);
            }
        }
        spec.commandLine().getErr().flush();
        return 0;
    }

    /** Sends stdin's lines as they arrive: the first line of a batch at once, the rest of it within --linger. */
    private void streamStdin(Producer<JsonNode> producer, PrintWriter out) throws IOException, InterruptedException {
        BlockingQueue<Line> queue = new ArrayBlockingQueue<>(4 * BATCH);
        AtomicReference<IOException> readFailure = new AtomicReference<>();
        Thread reader = new Thread(() -> read(queue, readFailure), "streamable-produce-stdin");
        reader.setDaemon(true); // blocked on a terminal or pipe, it must not keep the JVM alive after an error
        reader.start();
        ScheduledExecutorService progress = quiet ? null : Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "streamable-produce-progress");
            thread.setDaemon(true);
            return thread;
        });
        if (progress != null) {
            long every = Math.max(100, progressEvery.toMillis());
            long[] reported = {0};
            progress.scheduleAtFixedRate(() -> {
                int now = appended;
                if (now != reported[0]) {
                    reported[0] = now;
                    Messages.progress(spec, topic, now, "appended", -1, lastPosition);
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
        try {
            long lingerNanos = linger.toNanos();
            List<Line> batch = new ArrayList<>(BATCH);
            boolean ended = false;
            while (!ended) {
                Line first = queue.take();
                if (first == END) {
                    break;
                }
                batch.add(first);
                long deadline = System.nanoTime() + lingerNanos;
                while (batch.size() < BATCH) {
                    long left = deadline - System.nanoTime();
                    // past the linger, still take what is already queued: a fast pipe fills whole batches
                    Line next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    if (next == END) {
                        ended = true;
                        break;
                    }
                    batch.add(next);
                }
                appendChecked(producer, batch, out);
                batch.clear();
            }
        } finally {
            reader.interrupt(); // after a bad line: frees it from a full queue (a blocked read ends at end of input)
            if (progress != null) {
                progress.shutdownNow();
            }
        }
        if (readFailure.get() != null) {
            throw readFailure.get();
        }
    }

    /** The reader thread: numbered non-blank lines into the queue, then {@link #END}. */
    private void read(BlockingQueue<Line> queue, AtomicReference<IOException> failure) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(cli.stdin, StandardCharsets.UTF_8));
        try {
            try {
                String text;
                int number = 0;
                while ((text = reader.readLine()) != null) {
                    number++;
                    if (!text.isBlank()) {
                        queue.put(new Line("line " + number, text));
                    }
                }
            } catch (IOException e) {
                failure.set(e);
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Line(String where, String text) {
    }

    /** Converts every line, appends those before the first bad one, then fails naming it. */
    private void appendChecked(Producer<JsonNode> producer, List<Line> lines, PrintWriter out) {
        List<OutgoingMessage<JsonNode>> messages = new ArrayList<>(lines.size());
        RuntimeException bad = null;
        for (Line line : lines) {
            try {
                messages.add(toMessage(line));
            } catch (IllegalArgumentException e) {
                bad = e;
                break;
            }
        }
        if (!messages.isEmpty()) {
            List<Position> positions = producer.appendAllAndWait(messages);
            for (int i = 0; i < positions.size(); i++) {
                ObjectNode result = Json.MAPPER.createObjectNode();
                result.put("position", positions.get(i).encode());
                result.put("shardingKey", messages.get(i).shardingKey());
                out.println(Json.write(result));
            }
            out.flush();
            appended += positions.size();
            lastPosition = positions.get(positions.size() - 1).encode();
        }
        if (bad != null) {
            throw new IllegalArgumentException(bad.getMessage() + ". Nothing from there on was appended ("
                    + appended + " message(s) before it were); fix it and send the input again from that point.", bad);
        }
    }

    private OutgoingMessage<JsonNode> toMessage(Line line) {
        JsonNode payload;
        try {
            payload = Json.MAPPER.readTree(line.text());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(line.where() + " is not JSON (" + e.getOriginalMessage() + "): "
                    + abbreviate(line.text()) + ". Quote plain text as a JSON string, for example '\"hello\"'");
        }
        if (payload == null || payload.isMissingNode()) {
            throw new IllegalArgumentException(line.where() + " holds no JSON document");
        }
        String shardingKey = key != null ? key : field(payload, keyField, line, "--key-field");
        OutgoingMessage<JsonNode> message = OutgoingMessage.of(shardingKey, payload);
        String id = compactId != null ? compactId
                : compactIdField != null ? field(payload, compactIdField, line, "--compact-id-field") : null;
        if (id != null) {
            message = message.withLogCompactId(id);
        }
        for (Map.Entry<String, String> header : headers.entrySet()) {
            message = message.withHeader(header.getKey(), header.getValue());
        }
        return message;
    }

    private static String field(JsonNode payload, String name, Line line, String option) {
        JsonNode value = payload.get(name);
        if (value == null || value.isNull() || value.isContainerNode() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(line.where() + " has no non-empty text or number field \"" + name
                    + "\" for " + option + ": " + abbreviate(line.text()));
        }
        return value.asText();
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }
}
