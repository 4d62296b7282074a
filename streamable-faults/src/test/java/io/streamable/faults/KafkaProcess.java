package io.streamable.faults;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A single-node KRaft Kafka broker (broker and controller in one) as a process of its own, from the
 * {@code kafka_2.13} jars on the test class path: the storage directory is formatted once with
 * {@code kafka.tools.StorageTool}, then {@code kafka.Kafka server.properties} runs on it.
 * {@link #kill9()} and {@link #start()} again reuse the same ports and log directory, the way a
 * crashed broker comes back.
 */
final class KafkaProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(120);

    private final Path directory;
    private final Path properties;
    private final Path log;
    private final String bootstrap;
    private Child process;
    private int starts;

    KafkaProcess(Path directory, int brokerPort, int controllerPort) {
        this.directory = directory;
        this.properties = directory.resolve("server.properties");
        this.log = directory.resolve("broker.log");
        this.bootstrap = "127.0.0.1:" + brokerPort;
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
        // consumers here use a 2 s session, so a killed one's name is free again quickly
        config.put("group.min.session.timeout.ms", "1000");
        // compaction that runs during a scenario (topics also roll segments every 500 ms)
        config.put("log.cleaner.backoff.ms", "250");
        config.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        config.put("log.index.size.max.bytes", Integer.toString(64 * 1024));
        config.put("log.segment.delete.delay.ms", "1000");
        config.put("num.network.threads", "2");
        config.put("num.io.threads", "2");
        config.put("num.recovery.threads.per.data.dir", "1");
        try {
            Files.createDirectories(directory);
            try (OutputStream out = Files.newOutputStream(properties)) {
                config.store(out, "fault-suite broker");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + properties, e);
        }
        Child format = Child.java("kafka-storage-format", directory.resolve("format.log"), "256m",
                "kafka.tools.StorageTool", List.of("format", "--config", properties.toString(),
                        "--cluster-id", Uuid.randomUuid().toString()), false);
        int exit = format.awaitExit();
        if (exit != 0) {
            throw new IllegalStateException("Formatting the broker's storage failed (exit " + exit + "):\n" + format.tail());
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        starts++;
        process = Child.java("kafka-broker#" + starts, log, "768m", "kafka.Kafka", List.of(properties.toString()), false);
        awaitReady();
    }

    /** Kills the broker without any shutdown: the next start recovers its logs. */
    synchronized void kill9() {
        if (process != null) {
            process.kill9();
        }
    }

    private void awaitReady() {
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        try (Admin client = Admin.create(admin)) {
            await("the Kafka broker at " + bootstrap + " to answer (log " + log + ")").atMost(READY)
                    .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .failFast("the Kafka broker exited (log " + log + ")", () -> !process.isAlive())
                    .until(() -> !client.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        }
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }
}
