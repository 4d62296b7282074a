package io.streamable.backend.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Stands in for the later traffic a live topic gets. Kafka never compacts the active segment, and a
 * segment only rolls when a later record is appended; a test that appends a few records and then
 * waits would wait forever. Every {@value KafkaTestSupport#SEGMENT_MS} ms this appends one record per
 * partition of the matching topics inside a transaction that it aborts: the append rolls the
 * segment, so the cleaner can compact what came before, while readers (which read committed data
 * only) never see the record.
 *
 * <p>Only the contract suite needs it, since its compaction tests cannot append filler records of
 * their own; this module's own compaction tests append visible filler instead.
 */
final class CompactionNudger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CompactionNudger.class);

    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Predicate<String> topics;
    /** Topics stop being nudged this long after they appeared, so old topics do not keep the cleaner busy. */
    private static final long NUDGE_FOR_NANOS = TimeUnit.SECONDS.toNanos(180);

    private final Map<String, Integer> partitions = new HashMap<>();
    private final Map<String, Long> firstSeen = new HashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "compaction-nudger");
        thread.setDaemon(true);
        return thread;
    });

    private CompactionNudger(String bootstrapServers, Predicate<String> topics) {
        this.topics = topics;
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers));
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "compaction-nudger-" + UUID.randomUUID(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        producer.initTransactions();
    }

    /** Starts nudging the topics whose names match. */
    static CompactionNudger start(String bootstrapServers, Predicate<String> topics) {
        CompactionNudger nudger = new CompactionNudger(bootstrapServers, topics);
        nudger.scheduler.scheduleWithFixedDelay(nudger::nudge, 0, KafkaTestSupport.SEGMENT_MS, TimeUnit.MILLISECONDS);
        return nudger;
    }

    private void nudge() {
        try {
            long now = System.nanoTime();
            List<String> matching = admin.listTopics().names().get(10, TimeUnit.SECONDS).stream().filter(topics)
                    .filter(topic -> now - firstSeen.computeIfAbsent(topic, t -> now) < NUDGE_FOR_NANOS).toList();
            if (matching.isEmpty()) {
                return;
            }
            for (String topic : matching) {
                if (!partitions.containsKey(topic)) {
                    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(10, TimeUnit.SECONDS).get(topic);
                    partitions.put(topic, description.partitions().size());
                }
            }
            producer.beginTransaction();
            for (String topic : matching) {
                for (int partition = 0; partition < partitions.get(topic); partition++) {
                    producer.send(new ProducerRecord<>(topic, partition, "streamable.test.nudge".getBytes(StandardCharsets.UTF_8),
                            "nudge".getBytes(StandardCharsets.UTF_8)));
                }
            }
            producer.abortTransaction();
        } catch (Exception e) {
            LOG.warn("Nudging compaction failed; trying again", e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
