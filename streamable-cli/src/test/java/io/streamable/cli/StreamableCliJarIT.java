package io.streamable.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the packaged, shaded {@code streamable-cli} jar as a separate {@code java -jar} process, the
 * way a user does (failsafe, after {@code package}). What this covers: the jar starts, finds the
 * in-memory and Kafka backends through the merged {@code META-INF/services} entries, reads stdin, honours
 * {@code --url}, {@code STREAMABLE_URL} and {@code -Dstreamable.url}, keeps stdout to data and
 * uses the documented exit codes. In-memory data does not outlive a process, so produce-then-read
 * on {@code memory:} happens inside one process through {@code exec}; reading in a second process
 * what a first wrote needs a server backend in the jar: {@code crossProcess} does it on Kafka
 * (the module-level tests of each backend cover the commands in process).
 */
@DisplayName("the streamable jar, run as a process")
class StreamableCliJarIT {
    private static Path jar;

    @TempDir
    Path dir;

    @BeforeAll
    static void findJar() {
        String path = System.getProperty("streamable.cli.jar");
        assertThat(path).as("system property streamable.cli.jar (set by failsafe in the module's pom)").isNotNull();
        jar = Paths.get(path);
        assertThat(jar).as("the shaded jar; run mvn verify, which packages it first").isRegularFile();
    }

    private record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Result java(Map<String, String> env, List<String> jvmOptions, String stdin, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Path in = Files.writeString(Files.createTempFile(dir, "in", ".txt"), stdin);
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(in.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("STREAMABLE_URL");
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("streamable " + String.join(" ", args) + " did not exit within 120 s; stderr: "
                    + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private Result streamable(String stdin, String... args) throws IOException, InterruptedException {
        return java(Map.of(), List.of(), stdin, args);
    }

    /** A running jar whose stdin is a pipe this test owns and writes to; stdout and stderr go to files. */
    private record Running(Process process, Path out, Path err) {
        void line(String text) throws IOException {
            process.getOutputStream().write((text + "\n").getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().flush();
        }

        List<String> outLines() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8).lines().toList();
        }

        String errText() throws IOException {
            return Files.readString(err, StandardCharsets.UTF_8);
        }

        int closeStdinAndWait() throws IOException, InterruptedException {
            process.getOutputStream().close();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the process did not exit within 120 s of its stdin closing; stderr: " + errText());
            }
            return process.exitValue();
        }
    }

    private Running start(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("STREAMABLE_URL");
        builder.environment().putAll(env);
        return new Running(builder.start(), out, err);
    }

    @Test
    @DisplayName("--help lists the commands and exits 0")
    void help() throws Exception {
        Result help = streamable("", "--help");
        assertThat(help.code()).as(help.toString()).isZero();
        assertThat(help.out()).contains("Usage: streamable").contains("produce").contains("tail").contains("topics")
                .contains("consumers").contains("compact").contains("exec");
    }

    @Test
    @DisplayName("produce reads JSON lines from stdin and prints one position per message")
    void produceFromStdin() throws Exception {
        Result produced = streamable("{\"name\":\"phil\",\"isGreat\":true}\n{\"name\":\"phil\",\"isGreat\":true}\n",
                "--url", "memory:", "produce", "greetings", "--key", "phil");
        assertThat(produced.code()).as(produced.toString()).isZero();
        assertThat(produced.lines()).containsExactly("{\"position\":\"0\",\"shardingKey\":\"phil\"}",
                "{\"position\":\"1\",\"shardingKey\":\"phil\"}");
    }

    @Test
    @DisplayName("exec: produce, tail, describe and consumers in one process on memory:")
    void execScript() throws Exception {
        StringBuilder script = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            script.append("produce greetings -k phil '{\"name\":\"phil\",\"isGreat\":true,\"number\":").append(i)
                    .append("}'\n");
        }
        script.append("tail greetings --name printer -q\n");
        script.append("topics describe greetings\n");
        script.append("consumers\n");
        Result ran = streamable(script.toString(), "exec");
        assertThat(ran.code()).as(ran.toString()).isZero();
        List<String> lines = ran.lines();
        assertThat(lines).hasSize(30 + 30 + 2);
        for (int i = 0; i < 30; i++) {
            JsonNode message = Json.MAPPER.readTree(lines.get(30 + i));
            assertThat(message.get("payload").get("number").asInt()).isEqualTo(i + 1);
            assertThat(message.get("shardingKey").asText()).isEqualTo("phil");
        }
        ObjectNode described = (ObjectNode) Json.MAPPER.readTree(lines.get(60));
        // creation times vary: parsed, then compared without them
        assertThat(Instant.parse(described.remove("oldestCreatedAt").asText()))
                .isBeforeOrEqualTo(Instant.parse(described.remove("newestCreatedAt").asText()));
        assertThat(described).isEqualTo(Json.MAPPER.readTree(
                "{\"topic\":\"greetings\",\"messages\":30,\"head\":\"29\",\"retention\":{},\"oldest\":\"0\","
                        + "\"newest\":\"29\",\"consumers\":[\"printer\"],\"compatibility\":\"BACKWARD\",\"schemaVersions\":[]}"));
        JsonNode consumer = Json.MAPPER.readTree(lines.get(61));
        assertThat(consumer.get("consumer").asText()).isEqualTo("printer");
        assertThat(consumer.get("position").asText()).isEqualTo("29");
        assertThat(consumer.get("lag").asLong()).isZero();
        assertThat(consumer.get("slots")).as("memory: has consumer groups: every slot's position").hasSize(16)
                .allSatisfy(slot -> assertThat(slot.get("position").asText()).isEqualTo("29"));
    }

    @Test
    @DisplayName("STREAMABLE_URL picks the backend; an unknown one is named with the variable, the backends in the jar, and no password")
    void environmentUrl() throws Exception {
        Result ran = java(Map.of("STREAMABLE_URL", "nosuch://app:hunter2@localhost:27017/db"), List.of(), "", "topics");
        assertThat(ran.code()).isEqualTo(1);
        assertThat(ran.out()).isEmpty();
        assertThat(ran.err()).contains("the environment variable STREAMABLE_URL")
                .containsPattern("Backends found on the class path: \\[[a-z, ]*memory[a-z, ]*\\]")
                .containsPattern("Backends found on the class path: \\[[a-z, ]*kafka[a-z, ]*\\]")
                .contains("kafka=io.streamable:backend-kafka")
                .contains("app:****@localhost").doesNotContain("hunter2");
    }

    @Test
    @DisplayName("-Dstreamable.url is read when STREAMABLE_URL is not set")
    void systemPropertyUrl() throws Exception {
        Result ran = java(Map.of(), List.of("-Dstreamable.url=nosuch:thing"), "", "topics");
        assertThat(ran.code()).isEqualTo(1);
        assertThat(ran.err()).contains("the system property streamable.url").contains("\"nosuch\" is not a scheme");
    }

    @Test
    @DisplayName("bad input: exit 1, the lines before it appended and printed, the error on stderr naming the line")
    void badInput() throws Exception {
        Result ran = streamable("{\"ok\":1}\n{broken\n", "produce", "t", "-k", "k");
        assertThat(ran.code()).isEqualTo(1);
        assertThat(ran.lines()).containsExactly("{\"position\":\"0\",\"shardingKey\":\"k\"}");
        assertThat(ran.err()).contains("line 2 is not JSON");
    }

    /**
     * Server backends the jar contains, for the cross-process test: URLs of empty stores (each test
     * uses a topic of its own). Kafka: the one embedded KRaft broker of this JVM, from
     * backend-kafka's test-jar (or the cluster in {@code STREAMABLE_TEST_KAFKA_BOOTSTRAP}); the
     * jar's processes connect to it over loopback. Add each further server backend here when its
     * module is added to this one, or list running servers in {@code STREAMABLE_CLI_TEST_URLS}.
     */
    static Stream<String> serverBackends() {
        Stream<String> inJar = Stream.of(io.streamable.backend.kafka.EmbeddedKafka.shared().url("partitions=4"),
                io.streamable.backend.mongoredis.TestServers.url());
        String urls = System.getenv("STREAMABLE_CLI_TEST_URLS");
        return urls == null ? inJar : Stream.concat(inJar,
                Stream.of(urls.split(",")).map(String::trim).filter(u -> !u.isEmpty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serverBackends")
    @DisplayName("on a server backend: produce in one process, tail, resume by name and inspect in the next ones")
    void crossProcess(String url) throws Exception {
        String topic = "cli-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> env = Map.of("STREAMABLE_URL", url);
        Result produced = java(env, List.of(), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", "produce", topic, "-k", "k");
        assertThat(produced.code()).as(produced.toString()).isZero();
        assertThat(produced.lines()).hasSize(3);

        Result first = java(env, List.of(), "", "tail", topic, "--name", "ops", "--max", "2", "-q");
        assertThat(first.code()).as(first.toString()).isZero();
        assertThat(first.lines()).extracting(line -> Json.MAPPER.readTree(line).get("payload").get("n").asInt())
                .containsExactly(1, 2);

        Result resumed = java(env, List.of(), "", "tail", topic, "--name", "ops", "-q");
        assertThat(resumed.code()).as(resumed.toString()).isZero();
        assertThat(resumed.lines()).extracting(line -> Json.MAPPER.readTree(line).get("payload").get("n").asInt())
                .containsExactly(3);

        Result described = java(env, List.of(), "", "topics", "describe", topic);
        assertThat(described.code()).as(described.toString()).isZero();
        JsonNode description = Json.MAPPER.readTree(described.lines().get(0));
        assertThat(description.get("messages").asLong()).isEqualTo(3);
        assertThat(description.get("consumers")).extracting(JsonNode::asText).containsExactly("ops");

        Result consumers = java(env, List.of(), "", "consumers", topic);
        assertThat(consumers.code()).as(consumers.toString()).isZero();
        assertThat(Json.MAPPER.readTree(consumers.lines().get(0)).get("lag").asLong()).isZero();
    }

    @Test
    @DisplayName("compact on memory: explains itself and exits 3")
    void compact() throws Exception {
        Result ran = streamable("", "compact", "t");
        assertThat(ran.code()).isEqualTo(3);
        assertThat(ran.err()).contains("cannot compact on demand");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("serverBackends")
    @DisplayName("produce sends each stdin line as it arrives: a consumer sees every line before stdin is closed")
    void producesLineByLineFromAPipe(String url) throws Exception {
        String topic = "live-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        List<Integer> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (io.streamable.client.Streamable streamable = io.streamable.client.Streamable.open(url)) {
            // the topic exists before the consumer starts, on every backend
            streamable.producer(Json.topic(topic)).appendAndWait("k", Json.MAPPER.getNodeFactory().numberNode(0));
            java.util.concurrent.CountDownLatch caughtUp = new java.util.concurrent.CountDownLatch(1);
            try (io.streamable.consume.Consumer<JsonNode> consumer = streamable.consumer(Json.topic(topic))
                    .handler(message -> seen.add(message.payload().asInt()))
                    .onCaughtUp(caughtUp::countDown).start()) {
                assertThat(caughtUp.await(60, TimeUnit.SECONDS)).as("the consumer caught up").isTrue();
                Running produce = start(Map.of("STREAMABLE_URL", url), "produce", topic, "-k", "k", "-q");
                try {
                    for (int n = 1; n <= 3; n++) {
                        produce.line(String.valueOf(n));
                        List<Integer> expected = java.util.stream.IntStream.rangeClosed(0, n).boxed().toList();
                        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                                .until(() -> seen.equals(expected));
                        // the consumer may see the message a moment before the process prints its position
                        int printed = n;
                        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                                .until(() -> produce.outLines().size() == printed);
                        assertThat(produce.process().isAlive()).as("stdin is still open").isTrue();
                    }
                    assertThat(produce.closeStdinAndWait()).as(produce.errText()).isZero();
                } finally {
                    produce.process().destroyForcibly();
                }
                assertThat(seen).containsExactly(0, 1, 2, 3);
            }
        }
    }

    @Test
    @DisplayName("exit codes: 0 when it worked, 2 for a usage error in any command, 1 for a failure at run time")
    void exitCodes() throws Exception {
        Result ok = streamable("", "topics", "--url", "memory:");
        assertThat(ok.code()).as(ok.toString()).isZero();

        for (List<String> usage : List.<List<String>>of(List.of("produce", "t"), List.of("produce", "t", "-k", "k", "--bogus"),
                List.of("tail"), List.of("tail", "t", "--progress-every", "soon"), List.of("tail", "t", "--format", "%z"),
                List.of("topics", "describe", "--bogus"), List.of("consumers", "--bogus"), List.of("compact"),
                List.of("nosuchcommand"), List.of("topics", "--url", "nosuch://x"), List.<String>of())) {
            Result ran = streamable("", usage.toArray(String[]::new));
            assertThat(ran.code()).as(usage + ": " + ran).isEqualTo(2);
            assertThat(ran.out()).as(usage.toString()).isEmpty();
            assertThat(ran.err()).as(usage.toString()).startsWith("streamable");
        }

        Result missing = streamable("", "tail", "nowhere", "--url", "memory:");
        assertThat(missing.code()).as(missing.toString()).isEqualTo(1);
        assertThat(missing.err()).contains("streamable tail: There is no topic \"nowhere\"");
        Result badLine = streamable("not json\n", "produce", "t", "-k", "k");
        assertThat(badLine.code()).as(badLine.toString()).isEqualTo(1);
        Result unreachable = streamable("", "--url", "kafka://127.0.0.1:1?timeout=2000", "topics");
        assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(1);
        // the Kafka client logs its own warnings before the tool's message
        assertThat(unreachable.err()).contains("\nstreamable topics: Could not connect to kafka://127.0.0.1:1")
                .contains("(--url)").contains("give another --url")
                .doesNotContain("StreamableBuilder").doesNotContain("Streamable.open");
    }

    @Test
    @DisplayName("--url after the command, durations like 1s, and the memory: warning, as a process")
    void optionsAnywhereAndMemoryWarning() throws Exception {
        Result produced = streamable("1\n", "produce", "t", "-k", "k", "--linger", "1ms", "--progress-every", "1s",
                "--url", "memory:");
        assertThat(produced.code()).as(produced.toString()).isZero();
        assertThat(produced.lines()).containsExactly("{\"position\":\"0\",\"shardingKey\":\"k\"}");
        assertThat(produced.err()).startsWith("streamable produce: warning: memory: keeps topics only as long as this"
                + " process runs, so the next streamable command starts empty.");

        Result refused = streamable("", "topics", "--url", "kafka://");
        assertThat(refused.code()).as(refused.toString()).isEqualTo(2);
        assertThat(refused.err()).startsWith("streamable topics: --url kafka:// was refused by the kafka backend")
                .doesNotContain("StreamableBuilder").doesNotContain("Streamable.open");
    }

    @Test
    @DisplayName("tail --output payload and --format templates, as a process")
    void tailFormats() throws Exception {
        String script = """
                produce t -k shop-1 '{"n":1}' '"two"'
                tail t -q --output payload
                tail t -q --format '%k %p %s %r\\n'
                """;
        Result ran = streamable(script, "exec");
        assertThat(ran.code()).as(ran.toString()).isZero();
        assertThat(ran.lines()).containsExactly(
                "{\"position\":\"0\",\"shardingKey\":\"shop-1\"}", "{\"position\":\"1\",\"shardingKey\":\"shop-1\"}",
                "{\"n\":1}", "\"two\"",
                "shop-1 0 {\"n\":1} {\"n\":1}", "shop-1 1 \"two\" two");
    }

    @Test
    @DisplayName("tail --partition N on Kafka prints exactly that partition's messages; on MongoRedis it is a usage error")
    void partitions() throws Exception {
        String kafka = io.streamable.backend.kafka.EmbeddedKafka.shared().url("partitions=4");
        String topic = "parts-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            input.append("{\"key\":\"k").append(i).append("\"}\n");
        }
        Map<String, String> env = Map.of("STREAMABLE_URL", kafka);
        Result produced = java(env, List.of(), input.toString(), "produce", topic, "-K", "key", "-q");
        assertThat(produced.code()).as(produced.toString()).isZero();

        Result all = java(env, List.of(), "", "tail", topic, "-q", "--format", "%p %k\\n");
        assertThat(all.code()).as(all.toString()).isZero();
        assertThat(all.lines()).hasSize(40);
        java.util.Map<Integer, List<String>> byPartition = new java.util.TreeMap<>();
        for (String line : all.lines()) {
            String position = line.substring(0, line.indexOf(' '));
            int partition = io.streamable.Position.parse(position).offsets().firstKey();
            byPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(line);
        }
        assertThat(byPartition).as("40 keys over 4 partitions").hasSizeGreaterThan(1);
        // two partitions make the point; each tail is a process of its own
        for (var entry : byPartition.entrySet().stream().limit(2).toList()) {
            Result one = java(env, List.of(), "", "tail", topic, "-q", "--partition", entry.getKey().toString(),
                    "--format", "%p %k\\n");
            assertThat(one.code()).as(one.toString()).isZero();
            assertThat(one.lines()).as("partition " + entry.getKey())
                    .containsExactlyInAnyOrderElementsOf(entry.getValue());
        }

        Result single = java(Map.of("STREAMABLE_URL", io.streamable.backend.mongoredis.TestServers.url()), List.of(), "",
                "tail", topic, "--partition", "1");
        assertThat(single.code()).as(single.toString()).isEqualTo(2);
        assertThat(single.err()).contains("--partition 1: mongoredis://").contains("single log")
                .contains("leave out --partition");
    }
}
