package io.streamable.backend.kafka;

import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
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
        assertThat(KafkaTopicStore.compactionKey("ab", "c")).isNotEqualTo(KafkaTopicStore.compactionKey("a", "bc"));
        assertThat(KafkaTopicStore.compactionKey("a", "1:b")).isNotEqualTo(KafkaTopicStore.compactionKey("a1", ":b"));
        assertThat(new String(KafkaTopicStore.compactionKey("é", "x"), StandardCharsets.UTF_8)).isEqualTo("2:éx");
        try (Streamable streamable = KafkaTestSupport.open()) {
            KafkaBackend backend = (KafkaBackend) streamable.backend();
            byte[] first = backend.uniqueKey();
            byte[] second = backend.uniqueKey();
            assertThat(first).isNotEqualTo(second);
            // a compaction key starts with a digit, a unique key never does
            assertThat((char) first[0]).isEqualTo(KafkaTopicStore.UNIQUE_KEY_MARK);
            assertThat(first.length).as("short: 1 + 16 random + a base-36 counter").isLessThanOrEqualTo(30);
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
