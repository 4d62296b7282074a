package io.streamable.backend.kafka;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) running inside the test JVM, on
 * random loopback ports, from the {@code org.apache.kafka:kafka_2.13} artifact. Tests share one
 * through {@link #shared()}; set {@value #BOOTSTRAP_ENVIRONMENT_VARIABLE} to run them against an
 * external cluster instead.
 *
 * <p>Its log cleaner looks for work every {@value #CLEANER_BACKOFF_MS} ms, so compaction shows
 * within seconds on topics that roll segments quickly; tests ask for that per topic
 * ({@code segment.ms}, {@code min.cleanable.dirty.ratio}), which works on an external cluster too.
 *
 * <p>Shipped in this module's test-jar so the benchmarks can start the same broker.
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** Points the tests at an external cluster ({@code host:port,...}) instead of starting a broker. */
    public static final String BOOTSTRAP_ENVIRONMENT_VARIABLE = "STREAMABLE_TEST_KAFKA_BOOTSTRAP";
    static final long CLEANER_BACKOFF_MS = 250;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static EmbeddedKafka shared;

    private final Path directory;
    private final Properties config;
    private final String bootstrapServers;
    private KafkaRaftServer server;

    private EmbeddedKafka(Path directory, Properties config, String bootstrapServers) {
        this.directory = directory;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * The broker the tests share: the external cluster named by
     * {@value #BOOTSTRAP_ENVIRONMENT_VARIABLE}, else one started now, once per JVM, and stopped
     * when the JVM exits.
     */
    public static synchronized Target shared() {
        String external = System.getenv(BOOTSTRAP_ENVIRONMENT_VARIABLE);
        if (external != null && !external.isBlank()) {
            return new Target(external.trim(), Optional.empty());
        }
        if (shared == null) {
            EmbeddedKafka started = start(Map.of());
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-kafka-shutdown"));
            shared = started;
        }
        return new Target(shared.bootstrapServers(), Optional.of(shared));
    }

    /**
     * Where tests connect, and the embedded broker when there is one (only an embedded broker can be
     * restarted by a test).
     *
     * @param bootstrapServers {@code host:port} list for clients
     * @param embedded         the broker started in this JVM, empty for an external cluster
     */
    public record Target(String bootstrapServers, Optional<EmbeddedKafka> embedded) {
        /** A {@code kafka://} URL for the target with extra query options, for example {@code "partitions=4"}. */
        public String url(String options) {
            return "kafka://" + bootstrapServers + (options == null || options.isEmpty() ? "" : "?" + options);
        }
    }

    /**
     * Formats a fresh storage directory and starts a broker in it.
     *
     * @param overrides broker settings added to or replacing the defaults
     */
    public static EmbeddedKafka start(Map<String, String> overrides) {
        preventHalt();
        try {
            Path directory = Files.createTempDirectory("streamable-kafka-");
            int brokerPort = freePort();
            int controllerPort = freePort();
            Properties config = new Properties();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            config.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("controller.listener.names", "CONTROLLER");
            config.put("inter.broker.listener.name", "PLAINTEXT");
            config.put("log.dirs", directory.resolve("data").toString());
            config.put("num.partitions", "1");
            config.put("auto.create.topics.enable", "false");
            config.put("offsets.topic.replication.factor", "1");
            config.put("offsets.topic.num.partitions", "4");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.put("transaction.state.log.num.partitions", "2");
            config.put("share.coordinator.state.topic.replication.factor", "1");
            config.put("share.coordinator.state.topic.min.isr", "1");
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("group.min.session.timeout.ms", "1000");
            // compaction that a test can observe within seconds (with segment.ms and min.cleanable.dirty.ratio per topic)
            config.put("log.cleaner.backoff.ms", Long.toString(CLEANER_BACKOFF_MS));
            // every test topic is dirty within a second; two cleaners keep the compaction tests' topics from queueing
            config.put("log.cleaner.threads", "2");
            config.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
            config.put("log.index.size.max.bytes", Integer.toString(64 * 1024));
            config.put("log.segment.delete.delay.ms", "1000");
            config.put("num.network.threads", "2");
            config.put("num.io.threads", "2");
            config.put("num.recovery.threads.per.data.dir", "1");
            config.putAll(overrides);
            Path file = directory.resolve("server.properties");
            try (OutputStream out = Files.newOutputStream(file)) {
                config.store(out, "embedded test broker");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int formatted;
            try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
                formatted = StorageTool.execute(new String[] {"format", "--config", file.toString(),
                        "--cluster-id", Uuid.randomUuid().toString(), "--ignore-formatted"}, print);
            }
            if (formatted != 0) {
                throw new IllegalStateException("Formatting the embedded broker's storage failed: "
                        + output.toString(StandardCharsets.UTF_8));
            }
            EmbeddedKafka kafka = new EmbeddedKafka(directory, config, "127.0.0.1:" + brokerPort);
            kafka.startServer();
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare the embedded broker's directory", e);
        }
    }

    /** {@code host:port} of the broker's client listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Whether the broker is running now. */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Stops the broker, keeping its data and ports, so {@link #startAgain()} brings the same cluster back. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        long started = System.nanoTime();
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("Embedded Kafka at {} stopped in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Starts a stopped broker again on the same ports with the same data. */
    public synchronized void startAgain() {
        if (server == null) {
            startServer();
        }
    }

    private synchronized void startServer() {
        long started = System.nanoTime();
        KafkaRaftServer raftServer = new KafkaRaftServer(new KafkaConfig(config), Time.SYSTEM);
        raftServer.startup();
        server = raftServer;
        awaitReady(Duration.ofSeconds(60));
        LOG.info("Embedded Kafka at {} ready in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    }

    /** Waits until the broker answers an admin request and has registered itself. */
    private void awaitReady(Duration timeout) {
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin client = Admin.create(admin)) {
            while (true) {
                try {
                    if (!client.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("The embedded broker at " + bootstrapServers
                                + " did not become ready within " + timeout, e);
                    }
                }
            }
        }
    }

    /** Stops the broker and deletes its data; idempotent. */
    @Override
    public synchronized void close() {
        stop();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete the embedded broker's directory {}", directory, e);
        }
    }

    /**
     * KafkaRaftServer halts the JVM on a fatal fault; in a test JVM that would kill the whole run
     * without a report, so turn halts and exits into loud exceptions instead.
     */
    private static void preventHalt() {
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("The embedded Kafka broker tried to halt the JVM (status " + status + "): "
                    + message);
        });
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("The embedded Kafka broker tried to exit the JVM (status " + status + "): "
                    + message);
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers + "]";
    }
}
