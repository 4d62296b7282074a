package io.streamable.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.TopicName;
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
import java.util.concurrent.Callable;

/**
 * Appends JSON payloads to a topic, from arguments or from standard input (one JSON document per
 * line, blank lines ignored). Prints one JSON line per appended message with its position.
 * Input is checked batch by batch before anything of the batch is appended; at a bad line, the
 * lines before it are appended and reported, and the error names the bad line, so nothing is lost
 * or appended twice when the input is fixed and fed again from that line.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Append JSON payloads to a topic, from arguments or stdin (one JSON document per line).",
            "Prints {\"position\":...,\"shardingKey\":...} per message."})
final class ProduceCommand implements Callable<Integer> {
    private static final int BATCH = 500;

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

    private int appended;

    @Override
    public Integer call() throws IOException {
        TopicName.requireValid(topic);
        if ((key == null) == (keyField == null)) {
            throw new IllegalArgumentException("Give exactly one of --key KEY (one sharding key for all messages) or"
                    + " --key-field FIELD (each payload's own field); messages with one key keep their order");
        }
        if (compactId != null && compactIdField != null) {
            throw new IllegalArgumentException("Give at most one of --compact-id and --compact-id-field");
        }
        // check options once, so an error names the option rather than the first line
        OutgoingMessage<JsonNode> probe = OutgoingMessage.of("probe", Json.MAPPER.nullNode());
        for (Map.Entry<String, String> header : headers.entrySet()) {
            probe = probe.withHeader(header.getKey(), header.getValue());
        }
        if (compactId != null) {
            probe.withLogCompactId(compactId);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Producer<JsonNode> producer = cli.session.streamable(cli.url).producer(Json.topic(topic))) {
            if (!payloads.isEmpty()) {
                List<Line> lines = new ArrayList<>();
                for (int i = 0; i < payloads.size(); i++) {
                    lines.add(new Line("argument " + (i + 1), payloads.get(i)));
                }
                appendChecked(producer, lines, out);
            } else {
                if (cli.stdin == System.in && System.console() != null) {
                    spec.commandLine().getErr().println("Reading JSON payloads from stdin, one per line; Ctrl-D ends.");
                    spec.commandLine().getErr().flush();
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(cli.stdin, StandardCharsets.UTF_8));
                List<Line> batch = new ArrayList<>(BATCH);
                String text;
                int number = 0;
                while ((text = reader.readLine()) != null) {
                    number++;
                    if (text.isBlank()) {
                        continue;
                    }
                    batch.add(new Line("line " + number, text));
                    if (batch.size() == BATCH) {
                        appendChecked(producer, batch, out);
                        batch.clear();
                    }
                }
                appendChecked(producer, batch, out);
            }
        }
        spec.commandLine().getErr().flush();
        return 0;
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
