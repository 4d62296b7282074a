package io.streamable.benchmarks.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.servers.KafkaBroker;
import io.streamable.client.Streamable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What the Kafka scenarios share: one broker for the whole run ({@link KafkaBroker}), and raw
 * clients configured exactly as the backend configures its own.
 */
abstract class KafkaScenario implements Scenario {
    /** Partitions of every benchmark topic, framework's and raw alike. */
    static final int PARTITIONS = 4;

    Settings settings;
    String bootstrap;
    Payloads payloads;
    ObjectWriter writer;
    ObjectReader reader;
    Admin admin;

    @Override
    public Optional<String> topicBackend() {
        return Optional.of("kafka");
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        this.settings = settings;
        this.bootstrap = KafkaBroker.bootstrap(settings.servers());
        this.payloads = new Payloads(settings.payloadBytes());
        ObjectMapper mapper = new ObjectMapper();
        this.writer = mapper.writerFor(BenchPayload.class);
        this.reader = mapper.readerFor(BenchPayload.class);
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    Streamable openStreamable() {
        return Streamable.open("kafka://" + bootstrap + "?partitions=" + PARTITIONS);
    }

    static Topic<BenchPayload> topic(String name) {
        return Topic.of(name, BenchPayload.class);
    }

    /** A producer with the settings the backend gives its own: acks=all, idempotence, defaults otherwise. */
    KafkaProducer<byte[], byte[]> rawProducer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(config);
    }

    /** A consumer with the settings of the backend's anonymous reader: no group, no auto commit. */
    KafkaConsumer<byte[], byte[]> rawConsumer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(config);
    }

    /** A consumer in group {@code group} that commits by hand, as a named consumer of the backend does. */
    KafkaConsumer<byte[], byte[]> rawGroupConsumer(String group) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(config);
    }

    /**
     * Creates a raw topic like the backend's and waits until every partition answers, as the
     * backend does (producing right after creation can lose the first batch, KAFKA-15591).
     */
    void createRawTopic(String name) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition partition : partitions(name)) {
            request.put(partition, OffsetSpec.latest());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                admin.listOffsets(request).all().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    static List<TopicPartition> partitions(String topic) {
        List<TopicPartition> partitions = new ArrayList<>(PARTITIONS);
        for (int partition = 0; partition < PARTITIONS; partition++) {
            partitions.add(new TopicPartition(topic, partition));
        }
        return partitions;
    }

    void deleteTopic(String name) {
        try {
            admin.deleteTopics(List.of(name)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("note: could not delete topic " + name + ": " + e);
        }
    }

    byte[] encode(BenchPayload payload) {
        try {
            return writer.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    BenchPayload decode(byte[] json) {
        try {
            return reader.readValue(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
    }
}
