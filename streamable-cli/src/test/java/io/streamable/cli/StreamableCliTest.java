package io.streamable.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.client.Streamable;
import io.streamable.Position;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The commands in process, on a {@code memory:NAME} store that every run of this JVM shares, so
 * one run can produce and the next tail. {@link StreamableCliJarIT} runs the packaged jar.
 */
@DisplayName("streamable CLI commands")
class StreamableCliTest {
    private final String url = "memory:cli-" + UUID.randomUUID();

    private CliRun run(String stdin, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--url";
        all[1] = url;
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRun.run(stdin, all);
    }

    private static JsonNode json(String line) throws Exception {
        return Json.MAPPER.readTree(line);
    }

    @Nested
    @DisplayName("produce")
    class Produce {
        @Test
        @DisplayName("appends payloads from arguments and prints their positions as JSON lines")
        void fromArguments() throws Exception {
            CliRun produced = run("", "produce", "greetings", "--key", "phil", "{\"name\":\"phil\",\"isGreat\":true}",
                    "{\"name\":\"phil\",\"isGreat\":false}");
            assertThat(produced.code()).as(produced.toString()).isZero();
            assertThat(produced.lines()).containsExactly("{\"position\":\"0\",\"shardingKey\":\"phil\"}",
                    "{\"position\":\"1\",\"shardingKey\":\"phil\"}");

            CliRun tailed = run("", "tail", "greetings", "--quiet");
            assertThat(tailed.code()).as(tailed.toString()).isZero();
            assertThat(tailed.lines()).hasSize(2);
            JsonNode first = json(tailed.lines().get(0));
            assertThat(first.get("topic").asText()).isEqualTo("greetings");
            assertThat(first.get("position").asText()).isEqualTo("0");
            assertThat(first.get("shardingKey").asText()).isEqualTo("phil");
            assertThat(first.get("payload")).isEqualTo(json("{\"name\":\"phil\",\"isGreat\":true}"));
            assertThat(json(tailed.lines().get(1)).get("payload").get("isGreat").asBoolean()).isFalse();
        }

        @Test
        @DisplayName("reads stdin lines, takes keys and compaction ids from fields, sets headers, skips blank lines")
        void fromStdin() throws Exception {
            String input = "{\"account\":\"a\",\"cents\":1}\n\n{\"account\":\"b\",\"cents\":2}\n{\"account\":\"a\",\"cents\":3}\n";
            CliRun produced = run(input, "produce", "balances", "--key-field", "account", "--compact-id-field", "account",
                    "-H", "source=cli");
            assertThat(produced.code()).as(produced.toString()).isZero();
            assertThat(produced.lines()).hasSize(3);

            CliRun tailed = run("", "tail", "balances", "-q");
            // compaction kept the newest message of account a and the one of b
            assertThat(tailed.lines()).hasSize(2);
            JsonNode b = json(tailed.lines().get(0));
            JsonNode a = json(tailed.lines().get(1));
            assertThat(b.get("shardingKey").asText()).isEqualTo("b");
            assertThat(b.get("logCompactId").asText()).isEqualTo("b");
            assertThat(b.get("headers").get("source").asText()).isEqualTo("cli");
            assertThat(a.get("payload").get("cents").asInt()).isEqualTo(3);
        }

        @Test
        @DisplayName("a bad line: the lines before it are appended, the error names the line, nothing after it is")
        void badLine() {
            CliRun produced = run("{\"n\":1}\n{\"n\":2}\nnot json\n{\"n\":4}\n", "produce", "numbers", "-k", "k");
            assertThat(produced.code()).isEqualTo(1);
            assertThat(produced.lines()).hasSize(2);
            assertThat(produced.err()).contains("line 3 is not JSON").contains("not json")
                    .contains("2 message(s) before it were");
            CliRun tailed = run("", "tail", "numbers", "-q");
            assertThat(tailed.lines()).hasSize(2);
        }

        @Test
        @DisplayName("needs exactly one of --key and --key-field, and says why")
        void keyRequired() {
            CliRun produced = run("", "produce", "greetings", "{}");
            assertThat(produced.code()).isEqualTo(2);
            assertThat(produced.err()).contains("--key KEY").contains("--key-field FIELD");
            assertThat(produced.out()).isEmpty();
        }

        @Test
        @DisplayName("a missing key field names the line and the field")
        void missingKeyField() {
            CliRun produced = run("{\"id\":\"x\"}\n", "produce", "t", "--key-field", "account");
            assertThat(produced.code()).isEqualTo(1);
            assertThat(produced.err()).contains("line 1 has no non-empty text or number field \"account\"");
        }

        @Test
        @DisplayName("an invalid topic name is refused with the naming rule")
        void badTopicName() {
            CliRun produced = run("", "produce", "bad topic", "-k", "k", "{}");
            assertThat(produced.code()).isEqualTo(2);
            assertThat(produced.err()).contains("Invalid topic name \"bad topic\"");
        }
    }

    @Nested
    @DisplayName("tail")
    class Tail {
        @Test
        @DisplayName("--from an instant prints exactly the messages created at or after it")
        void fromInstant() throws Exception {
            run("", "produce", "timed", "-k", "k", "1", "2", "3");
            Instant t = Instant.now();
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                    .until(() -> Instant.now().isAfter(t.plusMillis(5)));
            run("", "produce", "timed", "-k", "k", "4", "5");

            CliRun tailed = run("", "tail", "timed", "--from", t.toString(), "-q");
            assertThat(tailed.code()).as(tailed.toString()).isZero();
            assertThat(tailed.lines()).hasSize(2);
            assertThat(json(tailed.lines().get(0)).get("payload").asInt()).isEqualTo(4);
            assertThat(json(tailed.lines().get(1)).get("payload").asInt()).isEqualTo(5);
            assertThat(run("", "tail", "timed", "--from", "2026-12-01T10:00:00Z", "-q").lines()).as("an instant before"
                    + " everything").hasSize(5);

            CliRun bad = run("", "tail", "timed", "--from", "2026-13-01T10:00:00Z");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("not an instant").contains("2026-12-01T10:00:00Z");
        }

        @Test
        @DisplayName("--from a position prints only the messages after it; --max stops early")
        void fromPositionAndMax() throws Exception {
            run("", "produce", "t", "-k", "k", "1", "2", "3", "4", "5");
            CliRun after = run("", "tail", "t", "--from", "2", "-q");
            assertThat(after.lines()).extracting(line -> json(line).get("payload").asInt()).containsExactly(4, 5);
            CliRun max = run("", "tail", "t", "--max", "2", "-q");
            assertThat(max.lines()).extracting(line -> json(line).get("payload").asInt()).containsExactly(1, 2);
        }

        @Test
        @DisplayName("as a named consumer it resumes where the previous tail with that name stopped")
        void namedResumes() throws Exception {
            run("", "produce", "t", "-k", "k", "1", "2", "3");
            CliRun first = run("", "tail", "t", "--name", "ops", "--max", "2", "-q");
            assertThat(first.lines()).extracting(line -> json(line).get("payload").asInt()).containsExactly(1, 2);
            run("", "produce", "t", "-k", "k", "4");
            CliRun second = run("", "tail", "t", "--name", "ops", "-q");
            assertThat(second.lines()).extracting(line -> json(line).get("payload").asInt()).containsExactly(3, 4);

            CliRun consumers = run("", "consumers", "t");
            assertThat(consumers.lines()).hasSize(1);
            JsonNode line = json(consumers.lines().get(0));
            assertThat(line.get("topic").asText()).isEqualTo("t");
            assertThat(line.get("consumer").asText()).isEqualTo("ops");
            assertThat(line.get("position").asText()).isEqualTo("3");
            assertThat(line.get("lag").asLong()).isZero();
            // memory: runs named consumers as groups: the line has the group's slots too
            assertThat(line.get("slotCount").asInt()).isEqualTo(16);
            assertThat(line.get("members")).as("no member is live once the tail ended").isEmpty();
            assertThat(line.get("slots")).hasSize(16).allSatisfy(slot -> {
                assertThat(slot.get("position").asText()).isEqualTo("3");
                assertThat(slot.get("owner").isNull()).isTrue();
                assertThat(slot.get("lag").asLong()).isZero();
            });
        }

        @Test
        @DisplayName("--follow prints a message appended after it has caught up")
        void follows() throws Exception {
            var topic = Json.topic("live");
            try (Streamable streamable = Streamable.open(url)) {
                streamable.producer(topic).appendAndWait("k", Json.MAPPER.getNodeFactory().numberNode(1));
                Thread producer = new Thread(() -> {
                    // the follower saves its position after each message: once it is at 0, it waits at the head
                    await().atMost(Duration.ofSeconds(30)).until(() ->
                            streamable.backend().topic("live").savedPosition("follower").equals(Optional.of(Position.of(0))));
                    streamable.producer(topic).appendAndWait("k", Json.MAPPER.getNodeFactory().numberNode(2));
                });
                producer.start();
                CliRun followed = run("", "tail", "live", "--name", "follower", "--follow", "--max", "2", "-q");
                producer.join();
                assertThat(followed.code()).as(followed.toString()).isZero();
                assertThat(followed.lines()).extracting(line -> json(line).get("payload").asInt()).containsExactly(1, 2);
            }
        }

        @Test
        @DisplayName("a missing topic is an error listing the topics there are")
        void missingTopic() {
            run("", "produce", "present", "-k", "k", "1");
            CliRun tailed = run("", "tail", "absent");
            assertThat(tailed.code()).isEqualTo(1);
            assertThat(tailed.err()).contains("There is no topic \"absent\"").contains("[present]");
        }

        @Test
        @DisplayName("a bad --from names the accepted forms")
        void badFrom() {
            run("", "produce", "t", "-k", "k", "1");
            CliRun tailed = run("", "tail", "t", "--from", "yesterday");
            assertThat(tailed.code()).isEqualTo(2);
            assertThat(tailed.err()).contains("expected beginning, latest, a position or an instant such as 2026-12-01T10:00:00Z");
        }

        @Test
        @DisplayName("reports progress and lag on stderr while catching up, never on stdout")
        void progressOnStderr() {
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < 20_000; i++) {
                input.append("{\"i\":").append(i).append("}\n");
            }
            run(input.toString(), "produce", "big", "-k", "k");
            CliRun tailed = run("", "tail", "big", "--progress-every", "PT0.1S");
            assertThat(tailed.code()).isZero();
            assertThat(tailed.lines()).hasSize(20_000).allMatch(line -> line.startsWith("{\"topic\":\"big\""));
        }
    }

    @Nested
    @DisplayName("topics, consumers, compact")
    class Inspect {
        @Test
        @DisplayName("topics lists names; describe prints message count, head and consumers")
        void topics() throws Exception {
            run("", "produce", "b", "-k", "k", "1", "2", "3");
            run("", "produce", "a", "-k", "k", "1");
            run("", "tail", "b", "--name", "reader", "--max", "1", "-q");
            assertThat(run("", "topics").lines()).containsExactly("a", "b");
            CliRun described = run("", "topics", "describe", "b");
            assertThat(described.code()).as(described.toString()).isZero();
            ObjectNode node = (ObjectNode) json(described.lines().get(0));
            Instant oldestAt = Instant.parse(node.remove("oldestCreatedAt").asText());
            Instant newestAt = Instant.parse(node.remove("newestCreatedAt").asText());
            assertThat(oldestAt).isBeforeOrEqualTo(newestAt).isBeforeOrEqualTo(Instant.now());
            assertThat(node).isEqualTo(json("{\"topic\":\"b\",\"messages\":3,\"head\":\"2\",\"retention\":{},"
                    + "\"oldest\":\"0\",\"newest\":\"2\",\"consumers\":[\"reader\"],\"compatibility\":\"BACKWARD\","
                    + "\"schemaVersions\":[]}"));
            assertThat(run("", "topics", "describe").lines()).hasSize(2);
        }

        @Test
        @DisplayName("configure sets a topic's retention, describe shows it, and retention removes the oldest messages")
        void configureRetention() throws Exception {
            run("", "produce", "kept", "-k", "k", "1", "2", "3", "4", "5");
            CliRun configured = run("", "topics", "configure", "kept", "--max-messages", "2", "--max-age", "7d");
            assertThat(configured.code()).as(configured.toString()).isZero();
            JsonNode node = json(configured.lines().get(0));
            assertThat(node.get("retention")).isEqualTo(json("{\"maxAge\":\"PT168H\",\"maxMessages\":2}"));
            assertThat(node.get("oldest").asText()).isEqualTo("3");
            assertThat(node.get("newest").asText()).isEqualTo("4");
            assertThat(node.get("messages").asLong()).isEqualTo(2);
            assertThat(run("", "tail", "kept", "-q").lines()).hasSize(2);

            CliRun forever = run("", "topics", "configure", "kept");
            assertThat(json(forever.lines().get(0)).get("retention")).isEqualTo(json("{}"));
            CliRun refused = run("", "topics", "configure", "kept", "--max-messages", "0");
            assertThat(refused.code()).isEqualTo(2);
            assertThat(refused.err()).contains("maxMessages must be at least 1");
        }

        @Test
        @DisplayName("describe lists the schema versions typed producers registered")
        void schemaVersions() throws Exception {
            record Greeting(String name, boolean isGreat) {
            }
            try (Streamable streamable = Streamable.open(url)) {
                streamable.producer(io.streamable.Topic.of("typed", Greeting.class)).appendAndWait("k", new Greeting("phil", true));
            }
            JsonNode described = json(run("", "topics", "describe", "typed").lines().get(0));
            assertThat(described.get("schemaVersions")).hasSize(1);
            assertThat(described.get("schemaVersions").get(0).get("version").asInt()).isEqualTo(1);
            assertThat(described.get("schemaVersions").get(0).get("type").asText()).endsWith("Greeting");
            // the CLI's own JSON-tree producer registers nothing, so it cannot block typed producers
            run("", "produce", "typed", "-k", "k", "{\"name\":\"ada\",\"isGreat\":true}");
            assertThat(json(run("", "topics", "describe", "typed").lines().get(0)).get("schemaVersions")).hasSize(1);
        }

        @Test
        @DisplayName("describe of an empty store's missing topic fails clearly")
        void describeMissing() {
            CliRun described = run("", "topics", "describe", "nope");
            assertThat(described.code()).isEqualTo(1);
            assertThat(described.err()).contains("There is no topic \"nope\"");
        }

        @Test
        @DisplayName("consumers reports saved positions and lag of every topic")
        void consumers() throws Exception {
            run("", "produce", "t", "-k", "k", "1", "2", "3");
            run("", "tail", "t", "--name", "slow", "--max", "1", "-q");
            run("", "tail", "t", "--name", "fast", "-q");
            List<JsonNode> lines = new java.util.ArrayList<>();
            for (String line : run("", "consumers").lines()) {
                lines.add(json(line));
            }
            assertThat(lines).extracting(line -> line.get("consumer").asText() + " " + line.get("position").asText()
                    + " " + line.get("lag").asLong()).containsExactly("fast 2 0", "slow 0 2");
            // memory: has consumer groups: the slots of "k" hold the lag, the other slots none
            int slotOfK = io.streamable.Slots.slotOf("k", 16);
            assertThat(lines.get(1).get("slots")).hasSize(16).allSatisfy(slot -> assertThat(slot.get("lag").asLong())
                    .isEqualTo(slot.get("slot").asInt() == slotOfK ? 2 : 0));
        }

        @Test
        @DisplayName("consumers reset moves a saved position to the beginning, latest or after a position")
        void consumersReset() {
            run("", "produce", "t", "-k", "k", "1", "2", "3");
            run("", "tail", "t", "--name", "r", "-q");

            CliRun toBeginning = run("", "consumers", "reset", "t", "r", "--to", "beginning");
            assertThat(toBeginning.code()).as(toBeginning.toString()).isZero();
            assertThat(toBeginning.lines()).containsExactly("{\"topic\":\"t\",\"consumer\":\"r\",\"position\":null}");
            assertThat(run("", "tail", "t", "--name", "r", "-q").lines()).as("everything again").hasSize(3);

            assertThat(run("", "consumers", "reset", "t", "r", "--to", "0").lines())
                    .containsExactly("{\"topic\":\"t\",\"consumer\":\"r\",\"position\":\"0\"}");
            assertThat(run("", "tail", "t", "--name", "r", "-q").lines()).as("after position 0").hasSize(2);

            run("", "consumers", "reset", "t", "r", "--to", "beginning");
            assertThat(run("", "consumers", "reset", "t", "r", "--to", "latest").lines())
                    .containsExactly("{\"topic\":\"t\",\"consumer\":\"r\",\"position\":\"2\"}");
        }

        @Test
        @DisplayName("consumers reset of a missing topic fails clearly; without --to it is a usage error")
        void consumersResetErrors() {
            CliRun missing = run("", "consumers", "reset", "nope", "r", "--to", "beginning");
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.err()).contains("There is no topic \"nope\"");
            assertThat(run("", "consumers", "reset", "t", "r").code()).isEqualTo(2);
        }

        @Test
        @DisplayName("consumers delete forgets a consumer; topics delete removes a topic and its consumers")
        void deletes() {
            run("", "produce", "t", "-k", "k", "1", "2");
            run("", "produce", "u", "-k", "k", "1");
            run("", "tail", "t", "--name", "gone", "-q");
            run("", "tail", "t", "--name", "kept", "-q");

            CliRun deleted = run("", "consumers", "delete", "t", "gone");
            assertThat(deleted.code()).as(deleted.toString()).isZero();
            assertThat(run("", "consumers", "t").lines()).hasSize(1).allMatch(line -> line.contains("\"kept\""));

            CliRun dropped = run("", "topics", "delete", "t", "nope");
            assertThat(dropped.code()).as(dropped.toString()).isZero();
            assertThat(dropped.err()).contains("deleted topic \"t\"").contains("no topic \"nope\"");
            assertThat(run("", "topics").lines()).containsExactly("u");
            assertThat(run("", "topics", "delete").code()).as("a topic is required").isEqualTo(2);
        }

        @Test
        @DisplayName("compact explains that the in-memory backend compacts on append, exit code 3")
        void compact() {
            run("", "produce", "t", "-k", "k", "1");
            CliRun compacted = run("", "compact", "t");
            assertThat(compacted.code()).isEqualTo(3);
            assertThat(compacted.out()).isEmpty();
            assertThat(compacted.err()).contains("cannot compact on demand").contains("already compacted");
        }
    }

    @Nested
    @DisplayName("exec and configuration")
    class ExecAndConfig {
        @Test
        @DisplayName("exec runs a script over one connection: produce then tail on a private memory: store")
        void exec() throws Exception {
            String script = """
                    # greetings
                    produce greetings -k phil '{"name": "phil", "isGreat": true}'
                    produce greetings -k phil "2"
                    tail greetings -q
                    """;
            CliRun ran = CliRun.run(script, "--url", "memory:", "exec");
            assertThat(ran.code()).as(ran.toString()).isZero();
            List<String> lines = ran.lines();
            assertThat(lines).hasSize(4);
            assertThat(json(lines.get(2)).get("payload")).isEqualTo(json("{\"name\":\"phil\",\"isGreat\":true}"));
            assertThat(json(lines.get(3)).get("payload").asInt()).isEqualTo(2);
        }

        @Test
        @DisplayName("exec stops at the first failing line and names it")
        void execStops() {
            CliRun ran = CliRun.run("produce t -k k 1\ntail missing\nproduce t -k k 2\n", "--url", "memory:", "exec");
            assertThat(ran.code()).isEqualTo(1);
            assertThat(ran.lines()).hasSize(1);
            assertThat(ran.err()).contains("line 2 failed");
        }

        @Test
        @DisplayName("a --url no backend of the tool handles is a usage error listing the tool's backends, password masked")
        void missingBackend() {
            CliRun ran = CliRun.run("", "--url", "nosuch://user:hunter2@localhost:9092", "topics");
            assertThat(ran.code()).isEqualTo(2);
            assertThat(ran.err()).startsWith("streamable topics: --url nosuch://user:****@localhost:9092:")
                    .contains("no backend for scheme \"nosuch\"; it has kafka, memory, mongoredis")
                    .doesNotContain("hunter2").doesNotContain("StreamableBuilder").doesNotContain("Streamable.open");
        }

        @Test
        @DisplayName("a script file that does not exist is named with the error's type")
        void execMissingFile() {
            CliRun ran = CliRun.run("", "--url", "memory:", "exec", "no-such-script.txt");
            assertThat(ran.code()).isEqualTo(1);
            assertThat(ran.err()).contains("NoSuchFileException").contains("no-such-script.txt");
        }

        @Test
        @DisplayName("without a command it prints usage and exits 2")
        void usage() {
            CliRun ran = CliRun.run("");
            assertThat(ran.code()).isEqualTo(2);
            assertThat(ran.err()).contains("Usage: streamable");
        }
    }

    @Nested
    @DisplayName("streaming, output formats, partitions")
    class StreamingAndFormats {
        @Test
        @DisplayName("produce appends each stdin line as it arrives, before stdin ends, and reports progress on stderr")
        void producesLineByLine() throws Exception {
            LiveRun live = LiveRun.start("produce", "stream", "-k", "k", "--url", url, "--progress-every", "100ms");
            try (Streamable streamable = Streamable.open(url)) {
                for (int n = 1; n <= 3; n++) {
                    live.line("{\"n\":" + n + "}");
                    int expected = n;
                    await().atMost(Duration.ofSeconds(10)).until(() -> streamable.topics().contains("stream")
                            && streamable.backend().topic("stream").lag(Optional.empty()) == expected);
                    // stored first, then its position printed
                    await().atMost(Duration.ofSeconds(10)).until(() -> live.out().lines().count() == expected);
                    assertThat(live.out().lines()).last().isEqualTo("{\"position\":\"" + (n - 1)
                            + "\",\"shardingKey\":\"k\"}");
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> live.err().contains("streamable produce stream: 3 appended, at 2"));
                assertThat(live.exitCode()).isNotDone();
            }
            live.closeStdin();
            assertThat(live.exitCode().get(30, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        }

        @Test
        @DisplayName("--output payload prints one payload per line, the input of produce, so tail | produce copies a topic")
        void payloadOutput() {
            run("", "produce", "t", "-k", "k", "{\"a\":1}", "\"text\"", "[1,2]");
            CliRun tailed = run("", "tail", "t", "--output", "payload", "-q");
            assertThat(tailed.code()).as(tailed.toString()).isZero();
            assertThat(tailed.lines()).containsExactly("{\"a\":1}", "\"text\"", "[1,2]");
            CliRun copied = run(tailed.out(), "produce", "copy", "-k", "k");
            assertThat(copied.code()).as(copied.toString()).isZero();
            assertThat(run("", "tail", "copy", "--output", "payload", "-q").lines()).isEqualTo(tailed.lines());
        }

        @Test
        @DisplayName("--format fills every placeholder and escape, and adds nothing")
        void template() {
            run("", "produce", "t", "-k", "shop-1", "-c", "id-1", "-H", "b=2", "-H", "a=1", "\"plain\"", "{\"x\":1}");
            CliRun tailed = run("", "tail", "t", "-q", "--format", "%t|%p|%k|%c|%s|%r|%h|100%%\\t\\\\\\n");
            assertThat(tailed.code()).as(tailed.toString()).isZero();
            // compaction by logCompactId kept only the newer message
            assertThat(tailed.out()).isEqualTo("t|1|shop-1|id-1|{\"x\":1}|{\"x\":1}|{\"a\":\"1\",\"b\":\"2\"}|100%\t\\\n");
            CliRun text = run("", "produce", "u", "-k", "k", "\"plain\"");
            assertThat(text.code()).isZero();
            CliRun raw = run("", "tail", "u", "-q", "--format", "%r %s %T");
            assertThat(raw.out()).startsWith("plain \"plain\" ").doesNotEndWith("\n");
            assertThat(java.time.Instant.parse(raw.out().substring("plain \"plain\" ".length()))).isNotNull();
        }

        @Test
        @DisplayName("--partition on a single-log backend is a usage error that says why")
        void partitionOnSingleLog() {
            run("", "produce", "t", "-k", "k", "1");
            CliRun tailed = run("", "tail", "t", "--partition", "1");
            assertThat(tailed.code()).as(tailed.toString()).isEqualTo(2);
            assertThat(tailed.err()).contains("--partition 1: memory:").contains("single log")
                    .contains("leave out --partition");
            assertThat(tailed.out()).isEmpty();
        }
    }

    @Nested
    @DisplayName("command-line conventions")
    class Conventions {
        @Test
        @DisplayName("--url works before and after the command")
        void urlAnywhere() {
            CliRun after = CliRun.run("", "produce", "t", "-k", "k", "1", "--url", url);
            assertThat(after.code()).as(after.toString()).isZero();
            CliRun before = CliRun.run("", "--url", url, "tail", "t", "-q", "--output", "payload");
            assertThat(before.lines()).containsExactly("1");
            CliRun nested = CliRun.run("", "topics", "describe", "t", "-u", url);
            assertThat(nested.code()).as(nested.toString()).isZero();
        }

        @Test
        @DisplayName("durations are written like URLs write them: 100ms, 1s, 2m, or ISO-8601")
        void durations() {
            run("", "produce", "t", "-k", "k", "1");
            for (String duration : List.of("100ms", "1s", "2m", "PT0.5S", "250")) {
                CliRun tailed = run("", "tail", "t", "--progress-every", duration, "--output", "payload");
                assertThat(tailed.code()).as(duration + ": " + tailed).isZero();
            }
            CliRun bad = run("", "tail", "t", "--progress-every", "soon");
            assertThat(bad.code()).isEqualTo(2);
            assertThat(bad.err()).contains("'soon' is not a duration; write for example 500ms, 1s, 2m or PT2S");
        }

        @Test
        @DisplayName("usage errors exit 2 with the command's name and a pointer to its help, in every command")
        void usageErrorsExit2() {
            run("", "produce", "t", "-k", "k", "1");
            List<List<String>> usage = List.of(
                    List.of("produce"), List.of("produce", "t", "--nope"), List.of("produce", "t", "-k", "k", "-K", "f"),
                    List.of("tail"), List.of("tail", "t", "--max", "0"), List.of("tail", "t", "--format", "%q"),
                    List.of("tail", "t", "--format", "%s", "--output", "payload"), List.of("tail", "t", "--partition", "x"),
                    List.of("tail", "t", "--partition", "0", "--name", "n"), List.of("tail", "t", "--output", "xml"),
                    List.of("topics", "--nope"), List.of("topics", "describe", "--nope"), List.of("consumers", "--nope"),
                    List.of("compact"), List.of("exec", "a", "b"), List.of("nosuchcommand"));
            for (List<String> args : usage) {
                CliRun ran = run("", args.toArray(String[]::new));
                assertThat(ran.code()).as(args + ": " + ran).isEqualTo(2);
                assertThat(ran.err()).as(args.toString()).startsWith("streamable").contains("--help");
                assertThat(ran.out()).as(args.toString()).isEmpty();
            }
        }

        @Test
        @DisplayName("memory: warns on stderr that its data lives only as long as the process; exec does not")
        void memoryWarning() {
            CliRun produced = CliRun.run("", "--url", "memory:", "produce", "t", "-k", "k", "1");
            assertThat(produced.code()).isZero();
            assertThat(produced.err()).startsWith("streamable produce: warning: memory: keeps topics only as long as"
                    + " this process runs").contains("streamable exec");
            CliRun script = CliRun.run("produce t -k k 1\ntail t -q\n", "--url", "memory:", "exec");
            assertThat(script.code()).as(script.toString()).isZero();
            assertThat(script.err()).isEmpty();
        }

        @Test
        @DisplayName("a --url the backend refuses is named as --url, without the library's Java names")
        void refusedUrl() {
            CliRun ran = CliRun.run("", "--url", "kafka://", "topics");
            assertThat(ran.err()).startsWith("streamable topics: ").contains("--url")
                    .doesNotContain("StreamableBuilder").doesNotContain("Streamable.open");
            assertThat(ran.code()).as(ran.toString()).isEqualTo(2);
        }
    }
}
