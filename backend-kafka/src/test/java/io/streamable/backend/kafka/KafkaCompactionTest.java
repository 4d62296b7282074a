package io.streamable.backend.kafka;

import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kafka's compaction as the backend uses it, observed on the test broker (segments roll after
 * {@value KafkaTestSupport#SEGMENT_MS} ms, on the next append). Kafka never cleans the active segment,
 * so these tests keep appending "filler" records to every partition while they wait: that is what
 * a live topic does, and without it the newest segment would never be cleaned.
 */
class KafkaCompactionTest {
    private static final Duration COMPACTION_TIMEOUT = Duration.ofSeconds(60);

    @Test
    @DisplayName("older records with a logCompactId are compacted away; the newest one and records without an id stay")
    void compactsByLogCompactId() throws Exception {
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(KafkaTestSupport.uniqueTopic("compact"));
            append(store, record("customer-1", "order-7", "v1"), record("customer-1", null, "note-1"),
                    record("customer-1", "order-7", "v2"), record("customer-1", null, "note-2"),
                    record("customer-1", "order-7", "v3"), record("customer-2", "order-8", "w1"),
                    record("customer-2", "order-8", "w2"));

            awaitCompaction(store, () -> {
                List<String> payloads = readAll(store).stream().filter(r -> !r.shardingKey().startsWith("filler"))
                        .map(KafkaCompactionTest::payload).toList();
                assertThat(payloads).doesNotContain("v1", "v2", "w1");
            });
            List<String> payloads = readAll(store).stream().filter(r -> !r.shardingKey().startsWith("filler"))
                    .map(KafkaCompactionTest::payload).toList();
            // the newest of each id and every record without an id survive, in their order
            assertThat(payloads).containsSubsequence("note-1", "note-2", "v3").contains("w2");
            assertThat(payloads).hasSize(4);
        }
    }

    @Test
    @DisplayName("a logCompactId compacts earlier messages with the same sharding key and id; the same id under another sharding key is not affected, even in the same partition")
    void compactionIsPerShardingKeyAndLogCompactId() throws Exception {
        int partitions = KafkaTestSupport.PARTITIONS;
        String keyA = "a-0";
        String keySamePartition = keyInSamePartition(keyA, partitions);
        String keyOtherPartition = keyInOtherPartition(keyA, partitions);
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(KafkaTestSupport.uniqueTopic("two-keys"));
            append(store,
                    record(keyA, "shared", "a-old"),
                    // the same id under other sharding keys, one of them in keyA's partition: not affected
                    record(keySamePartition, "shared", "same-partition"),
                    record(keyOtherPartition, "shared", "other-partition"),
                    record(keyA, "shared", "a-new"),
                    // proof that the cleaner ran over the other partition too
                    record(keyOtherPartition, "probe", "probe-old"), record(keyOtherPartition, "probe", "probe-new"));

            awaitCompaction(store, () -> assertThat(readAll(store)).extracting(KafkaCompactionTest::payload)
                    .doesNotContain("a-old", "probe-old"));
            List<StoredRecord> records = readAll(store).stream().filter(r -> !r.shardingKey().startsWith("filler")).toList();
            assertThat(records).extracting(KafkaCompactionTest::payload)
                    .containsExactlyInAnyOrder("same-partition", "other-partition", "a-new", "probe-new");
            assertThat(records).filteredOn(r -> r.logCompactId().equals(Optional.of("shared")))
                    .extracting(StoredRecord::shardingKey).containsExactlyInAnyOrder(keyA, keySamePartition, keyOtherPartition);
        }
    }

    @Test
    @DisplayName("record keys: (sharding key, logCompactId) pairs never share a key, nor with the unique keys of records without an id")
    void recordKeysAreUnambiguous() {
        assertThat(KafkaRecordFormat.compactionKey("ab", "c")).isNotEqualTo(KafkaRecordFormat.compactionKey("a", "bc"));
        assertThat(KafkaRecordFormat.compactionKey("a", "1:b")).isNotEqualTo(KafkaRecordFormat.compactionKey("a1", ":b"));
        assertThat(new String(KafkaRecordFormat.compactionKey("é", "x"), StandardCharsets.UTF_8)).isEqualTo("2:éx");
        assertThat(KafkaRecordFormat.parseKey(KafkaRecordFormat.compactionKey("é:1", "x:2"))).containsExactly("é:1", "x:2");
        try (Streamable streamable = KafkaTestSupport.open()) {
            KafkaBackend backend = (KafkaBackend) streamable.backend();
            byte[] first = backend.uniqueKey("customer-1");
            byte[] second = backend.uniqueKey("customer-1");
            assertThat(first).isNotEqualTo(second);
            // a compaction key starts with a digit, a format-1 unique key with '~', a format-2 one with 0x01
            assertThat(first[0]).isEqualTo(KafkaRecordFormat.UNIQUE_KEY_MARK);
            assertThat(first.length).as("1 + 8 random + a varint counter + the sharding key").isEqualTo(1 + 8 + 1 + 10);
            assertThat(KafkaRecordFormat.parseKey(first)).containsExactly("customer-1", null);
            byte[] later = null;
            for (int i = 0; i < 300; i++) {
                later = backend.uniqueKey("é");
            }
            assertThat(later.length).as("a two-byte counter").isEqualTo(1 + 8 + 2 + 2);
            assertThat(KafkaRecordFormat.parseKey(later)).containsExactly("é", null);
        }
    }

    @Test
    @DisplayName("records written in format 1 (sharding key and logCompactId in headers) read as before, and format-2 records with the same sharding key and id compact them")
    void readsAndCompactsFormatOneRecords() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("format-1");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(topic);
            try (var producer = new KafkaProducer<byte[], byte[]>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafka.shared().bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                // exactly what the backend wrote before format 2: user headers, then its own two
                int partition = KafkaTopicStore.partitionFor("customer-1", KafkaTestSupport.PARTITIONS);
                producer.send(new ProducerRecord<>(topic, partition, null, "10:customer-1order-7".getBytes(StandardCharsets.UTF_8),
                        "\"old-v1\"".getBytes(StandardCharsets.UTF_8), List.of(
                                new RecordHeader("source", "checkout".getBytes(StandardCharsets.UTF_8)),
                                new RecordHeader("streamable.schema.version", "3".getBytes(StandardCharsets.UTF_8)),
                                new RecordHeader(KafkaRecordFormat.SHARDING_KEY_HEADER, "customer-1".getBytes(StandardCharsets.UTF_8)),
                                new RecordHeader(KafkaRecordFormat.LOG_COMPACT_ID_HEADER, "order-7".getBytes(StandardCharsets.UTF_8)))));
                producer.send(new ProducerRecord<>(topic, partition, null, "~AAAAAAAAAAAAAAAA1".getBytes(StandardCharsets.UTF_8),
                        "\"old-note\"".getBytes(StandardCharsets.UTF_8), List.of(
                                new RecordHeader(KafkaRecordFormat.SHARDING_KEY_HEADER, "customer-1".getBytes(StandardCharsets.UTF_8)))));
                producer.flush();
            }
            List<StoredRecord> old = readAll(store);
            assertThat(old).hasSize(2);
            assertThat(old.get(0).shardingKey()).isEqualTo("customer-1");
            assertThat(old.get(0).logCompactId()).contains("order-7");
            assertThat(old.get(0).headers()).isEqualTo(Map.of("source", "checkout", "streamable.schema.version", "3"));
            assertThat(old.get(1).shardingKey()).isEqualTo("customer-1");
            assertThat(old.get(1).logCompactId()).isEmpty();
            assertThat(old.get(1).headers()).isEmpty();

            append(store, new AppendRecord("customer-1", Optional.of("order-7"),
                    Map.of("source", "checkout", "streamable.schema.version", "3", "streamable.schema.variant", "v-β"),
                    "\"new-v2\"".getBytes(StandardCharsets.UTF_8)), record("customer-1", null, "new-note"));
            awaitCompaction(store, () -> assertThat(readAll(store)).extracting(KafkaCompactionTest::payload)
                    .doesNotContain("old-v1"));
            List<StoredRecord> records = readAll(store).stream().filter(r -> !r.shardingKey().startsWith("filler")).toList();
            assertThat(records).extracting(KafkaCompactionTest::payload).containsExactly("old-note", "new-v2", "new-note");
            StoredRecord compacting = records.get(1);
            assertThat(compacting.shardingKey()).isEqualTo("customer-1");
            assertThat(compacting.logCompactId()).contains("order-7");
            assertThat(compacting.headers()).isEqualTo(Map.of("source", "checkout", "streamable.schema.version", "3",
                    "streamable.schema.variant", "v-β"));
            assertThat(records.get(2).logCompactId()).isEmpty();
        }
    }

    private static String keyInOtherPartition(String key, int partitions) {
        int partition = KafkaTopicStore.partitionFor(key, partitions);
        for (int i = 0; ; i++) {
            if (KafkaTopicStore.partitionFor("b-" + i, partitions) != partition) {
                return "b-" + i;
            }
        }
    }

    private static String keyInSamePartition(String key, int partitions) {
        int partition = KafkaTopicStore.partitionFor(key, partitions);
        for (int i = 0; ; i++) {
            if (KafkaTopicStore.partitionFor("c-" + i, partitions) == partition) {
                return "c-" + i;
            }
        }
    }

    /** Waits for the assertion to hold, appending a filler record to every partition between attempts. */
    private static void awaitCompaction(TopicStore store, org.awaitility.core.ThrowingRunnable assertion) {
        List<String> fillerKeys = fillerKeys(KafkaTestSupport.PARTITIONS);
        await().atMost(COMPACTION_TIMEOUT).pollInterval(Duration.ofMillis(KafkaTestSupport.SEGMENT_MS)).untilAsserted(() -> {
            List<AppendRecord> fillers = new ArrayList<>();
            for (String key : fillerKeys) {
                fillers.add(new AppendRecord(key, Optional.empty(), Map.of(), "\"filler\"".getBytes(StandardCharsets.UTF_8)));
            }
            store.append(fillers).get(30, TimeUnit.SECONDS);
            assertion.run();
        });
    }

    private static List<String> fillerKeys(int partitions) {
        Map<Integer, String> keys = new TreeMap<>();
        for (int i = 0; keys.size() < partitions; i++) {
            keys.putIfAbsent(KafkaTopicStore.partitionFor("filler-" + i, partitions), "filler-" + i);
        }
        return List.copyOf(keys.values());
    }

    private static AppendRecord record(String shardingKey, String logCompactId, String payload) {
        return new AppendRecord(shardingKey, Optional.ofNullable(logCompactId), Map.of(),
                ("\"" + payload + "\"").getBytes(StandardCharsets.UTF_8));
    }

    private static void append(TopicStore store, AppendRecord... records) throws Exception {
        store.append(List.of(records)).get(30, TimeUnit.SECONDS);
    }

    private static String payload(StoredRecord record) {
        String json = new String(record.payload(), StandardCharsets.UTF_8);
        return json.substring(1, json.length() - 1);
    }

    /** Everything a reader from the beginning sees, in partition order. */
    private static List<StoredRecord> readAll(TopicStore store) throws InterruptedException {
        List<StoredRecord> records = new ArrayList<>();
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                ReadBatch batch = reader.read(500, Duration.ofMillis(500));
                records.addAll(batch.records());
                if (batch.caughtUp()) {
                    break;
                }
            }
        }
        return records;
    }
}
