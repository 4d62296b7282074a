package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Retention and the time search of one Kafka topic (issue 17), as Kafka users know them:
 * {@link Retention#maxAge()} is the topic's {@code retention.ms}, {@link Retention#maxBytes()} its
 * {@code retention.bytes} (per partition, as Kafka counts it), both with
 * {@code cleanup.policy=compact,delete} (topics this backend creates are {@code compact} only,
 * which never removes by time). Kafka has no limit by message count: {@code maxMessages} is
 * refused. The broker removes whole closed segments after its retention check, and never the
 * active segment, so never the newest record of a partition; {@link #enforce()} removes records
 * past the age limit at once with {@code deleteRecords} (keeping each partition's newest record),
 * for tests and tools. Log start offsets only grow, so no offset is ever handed out twice.
 *
 * <p>Starting at an instant uses the broker's time index ({@code ListOffsets} with a timestamp,
 * what {@code offsetsForTimes} asks): per partition the first offset whose timestamp is at or
 * after it.
 */
final class KafkaRetention {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaRetention.class);
    private static final String CLEANUP_POLICY = "cleanup.policy";
    private static final String RETENTION_MS = "retention.ms";
    private static final String RETENTION_BYTES = "retention.bytes";

    private final KafkaBackend backend;
    private final KafkaTopicStore store;

    KafkaRetention(KafkaBackend backend, KafkaTopicStore store) {
        this.backend = backend;
        this.store = store;
    }

    private ConfigResource resource() {
        return new ConfigResource(ConfigResource.Type.TOPIC, store.name());
    }

    private Config config() {
        try {
            return backend.admin().describeConfigs(List.of(resource())).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS).get(resource());
        } catch (Exception e) {
            throw backend.failure("Reading the configs of Kafka topic \"" + store.name() + "\"", e);
        }
    }

    /** The retention the topic's configs say: forever unless its cleanup policy includes delete. */
    Retention retention() {
        store.ensureReady();
        Config config = config();
        ConfigEntry policy = config.get(CLEANUP_POLICY);
        if (policy == null || policy.value() == null || !policy.value().contains("delete")) {
            return Retention.forever();
        }
        long ms = number(config.get(RETENTION_MS));
        long bytes = number(config.get(RETENTION_BYTES));
        return new Retention(ms >= 0 ? Optional.of(Duration.ofMillis(ms)) : Optional.empty(), OptionalLong.empty(),
                bytes >= 0 ? OptionalLong.of(bytes) : OptionalLong.empty());
    }

    private static long number(ConfigEntry entry) {
        try {
            return entry == null || entry.value() == null ? -1 : Long.parseLong(entry.value().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    void setRetention(Retention retention) {
        if (retention.maxMessages().isPresent()) {
            throw new IllegalArgumentException("Kafka has no retention by message count (maxMessages="
                    + retention.maxMessages().getAsLong() + " for topic \"" + store.name() + "\"): use maxAge"
                    + " (retention.ms) or maxBytes (retention.bytes, per partition) on the kafka backend");
        }
        store.ensureReady();
        boolean forever = retention.isForever();
        List<AlterConfigOp> ops = List.of(
                set(CLEANUP_POLICY, forever ? "compact" : "compact,delete"),
                set(RETENTION_MS, String.valueOf(retention.maxAge().map(Duration::toMillis).orElse(-1L))),
                set(RETENTION_BYTES, String.valueOf(retention.maxBytes().orElse(-1L))));
        try {
            backend.admin().incrementalAlterConfigs(Map.of(resource(), ops)).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Kafka topic \"{}\" keeps its messages: {} ({})", store.name(), retention, ops);
        } catch (Exception e) {
            throw backend.failure("Setting the retention of Kafka topic \"" + store.name() + "\"", e);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    /** Removes at once the records past the age limit, keeping every partition's newest record. */
    void enforce() {
        Retention retention = retention();
        if (retention.maxAge().isEmpty()) {
            return; // a size limit is the broker's to apply, by segment
        }
        long cutOff = Instant.now().minus(retention.maxAge().get()).toEpochMilli();
        Map<TopicPartition, Long> firstYoung = timeOffsets(cutOff);
        Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
        Map<TopicPartition, Long> end = store.offsets(OffsetSpec.latest());
        Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
        firstYoung.forEach((partition, offset) -> {
            long next = end.getOrDefault(partition, 0L);
            long before = Math.min(offset < 0 ? next : offset, next - 1); // never the newest record
            if (before > earliest.getOrDefault(partition, 0L)) {
                delete.put(partition, RecordsToDelete.beforeOffset(before));
            }
        });
        if (delete.isEmpty()) {
            return;
        }
        try {
            backend.admin().deleteRecords(delete).all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw backend.failure("Removing old records of Kafka topic \"" + store.name() + "\"", e);
        }
    }

    /** Per partition, the first offset whose timestamp is at or after {@code millis}; -1 where there is none. */
    private Map<TopicPartition, Long> timeOffsets(long millis) {
        Map<TopicPartition, ListOffsetsResultInfo> found = listOffsets(OffsetSpec.forTimestamp(millis));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        found.forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private Map<TopicPartition, ListOffsetsResultInfo> listOffsets(OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition partition : store.topicPartitions()) {
            request.put(partition, spec);
        }
        try {
            return backend.admin().listOffsets(request).all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw backend.failure("Reading the offsets of Kafka topic \"" + store.name() + "\"", e);
        }
    }

    /**
     * Per partition, the offset before the first record at or after {@code instant}: the head for
     * a partition without one, left out for a partition whose first record already is.
     */
    Optional<Position> positionBefore(Instant instant) {
        store.ensureReady();
        Map<TopicPartition, Long> first = timeOffsets(instant.toEpochMilli());
        Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
        Map<TopicPartition, Long> end = store.offsets(OffsetSpec.latest());
        Map<Integer, Long> after = new TreeMap<>();
        for (TopicPartition partition : store.topicPartitions()) {
            long offset = first.getOrDefault(partition, -1L);
            long start = offset < 0 ? end.getOrDefault(partition, 0L) : offset;
            if (start > earliest.getOrDefault(partition, 0L)) {
                after.put(partition.partition(), start - 1);
            }
        }
        return after.isEmpty() ? Optional.empty() : Optional.of(Position.of(after));
    }

    TopicDescription describe() {
        Retention retention = retention();
        Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
        Map<TopicPartition, Long> end = store.offsets(OffsetSpec.latest());
        Map<Integer, Long> oldest = new TreeMap<>();
        earliest.forEach((partition, offset) -> {
            if (end.getOrDefault(partition, 0L) > offset) {
                oldest.put(partition.partition(), offset);
            }
        });
        Optional<Instant> oldestAt = oldest.isEmpty() ? Optional.empty()
                : listOffsets(OffsetSpec.forTimestamp(0)).values().stream().filter(info -> info.offset() >= 0)
                .map(info -> Instant.ofEpochMilli(info.timestamp())).min(Instant::compareTo);
        Optional<Instant> newestAt = oldest.isEmpty() ? Optional.empty()
                : listOffsets(OffsetSpec.maxTimestamp()).values().stream().filter(info -> info.offset() >= 0)
                .map(info -> Instant.ofEpochMilli(info.timestamp())).max(Instant::compareTo);
        return new TopicDescription(store.name(), retention,
                oldest.isEmpty() ? Optional.empty() : Optional.of(Position.of(oldest)), oldestAt,
                KafkaTopicStore.consumedPosition(end), newestAt);
    }
}
