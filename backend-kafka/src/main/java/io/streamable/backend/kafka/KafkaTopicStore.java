package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.TopicName;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** One Kafka topic: creation or validation, appends through the shared producer, admin queries. */
final class KafkaTopicStore implements TopicStore {
    /** The framework header carrying the sharding key (the record key carries the compaction id). */
    static final String SHARDING_KEY_HEADER = "streamable.shardingKey";
    /** The framework header carrying the logCompactId, when the record has one. */
    static final String LOG_COMPACT_ID_HEADER = "streamable.logCompactId";
    /** Prefix of the unique keys given to records without a logCompactId, so compaction never removes them. */
    static final String UNIQUE_KEY_PREFIX = "streamable.unique.";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopicStore.class);

    private final KafkaBackend backend;
    private final String name;
    private volatile int partitions;

    KafkaTopicStore(KafkaBackend backend, String name) {
        this.backend = backend;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Framework-internal topics ({@code __schemas.<topic>}) are logs that must replay in one order:
     * they get one partition whatever the URL says.
     */
    private boolean internal() {
        return TopicName.isInternal(name);
    }

    int partitionCount() {
        return partitions;
    }

    List<TopicPartition> topicPartitions() {
        List<TopicPartition> all = new ArrayList<>(partitions);
        for (int partition = 0; partition < partitions; partition++) {
            all.add(new TopicPartition(name, partition));
        }
        return all;
    }

    /**
     * Creates the topic or checks the existing one, then waits until every partition serves
     * offsets: appending right after creation can otherwise lose the first batch (KAFKA-15591).
     */
    void ensureReady() {
        if (partitions > 0) {
            return; // the common case, on every append: no lock
        }
        synchronized (this) {
            if (partitions == 0) {
                prepare();
            }
        }
    }

    private void prepare() {
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        TopicDescription description = describe();
        boolean created = false;
        if (description == null) {
            created = create();
            while ((description = describe()) == null) {
                if (System.nanoTime() > deadline) {
                    throw new StreamableException("Kafka topic \"" + name + "\" was created but is not visible after "
                            + backend.timeout() + "; check the brokers' health");
                }
                pause();
            }
        }
        validate(description, created);
        int count = description.partitions().size();
        awaitOffsets(count, deadline);
        partitions = count;
    }

    private TopicDescription describe() {
        try {
            return backend.admin().describeTopics(List.of(name)).topicNameValues().get(name)
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw backend.failure("Describing Kafka topic \"" + name + "\"", e);
        } catch (Exception e) {
            throw backend.failure("Describing Kafka topic \"" + name + "\"", e);
        }
    }

    /** Creates the topic; false if another client created it first. */
    private boolean create() {
        KafkaOptions options = backend.options();
        Optional<Integer> partitionCount = internal() ? Optional.of(1)
                : options.partitions().isPresent() ? Optional.of(options.partitions().getAsInt()) : Optional.empty();
        NewTopic topic = new NewTopic(name, partitionCount, options.replication())
                .configs(options.topicConfigs());
        try {
            backend.admin().createTopics(List.of(topic)).all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created Kafka topic \"{}\" ({} partitions, replication {}, {})", name,
                    partitionCount.map(String::valueOf).orElse("broker default"),
                    options.replication().map(String::valueOf).orElse("broker default"), options.topicConfigs());
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw backend.failure("Creating Kafka topic \"" + name + "\"", e);
        } catch (Exception e) {
            throw backend.failure("Creating Kafka topic \"" + name + "\"", e);
        }
    }

    private void validate(TopicDescription description, boolean created) {
        KafkaOptions options = backend.options();
        int actualPartitions = description.partitions().size();
        if (options.partitions().isPresent() && options.partitions().getAsInt() != actualPartitions && !internal()) {
            throw new StreamableException("Kafka topic \"" + name + "\" exists with " + actualPartitions
                    + " partition(s), but the backend URL asks for partitions=" + options.partitions().getAsInt()
                    + ". Use partitions=" + actualPartitions + " in the URL (or leave the option out to accept existing"
                    + " topics as they are). Changing a topic's partition count moves sharding keys to other"
                    + " partitions and breaks the order of their messages, so this backend never does it.");
        }
        int actualReplication = description.partitions().get(0).replicas().size();
        if (options.replication().isPresent() && options.replication().get() != actualReplication) {
            throw new StreamableException("Kafka topic \"" + name + "\" exists with replication factor "
                    + actualReplication + ", but the backend URL asks for replication=" + options.replication().get()
                    + ". Use replication=" + actualReplication + " in the URL, leave the option out, or reassign the"
                    + " topic's replicas with kafka-reassign-partitions.");
        }
        if (!created) {
            String policy = cleanupPolicy();
            if (policy != null && !policy.contains("compact")) {
                LOG.warn("Kafka topic \"{}\" exists with cleanup.policy={}: messages with a logCompactId will not be"
                        + " compacted on it. Set cleanup.policy=compact on the topic to have them compacted.", name, policy);
            }
        }
    }

    private String cleanupPolicy() {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        try {
            Config config = backend.admin().describeConfigs(List.of(resource)).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS).get(resource);
            ConfigEntry entry = config == null ? null : config.get("cleanup.policy");
            return entry == null ? null : entry.value();
        } catch (Exception e) {
            // only used for a warning; a principal without DescribeConfigs may still use the topic
            LOG.debug("Could not read cleanup.policy of Kafka topic \"{}\"", name, e);
            return null;
        }
    }

    private void awaitOffsets(int count, long deadline) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int partition = 0; partition < count; partition++) {
            request.put(new TopicPartition(name, partition), OffsetSpec.latest());
        }
        while (true) {
            try {
                backend.admin().listOffsets(request).all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (Exception e) {
                if (e instanceof InterruptedException || System.nanoTime() > deadline) {
                    throw backend.failure("Waiting for the partitions of Kafka topic \"" + name + "\" to get leaders", e);
                }
                pause();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100); // waiting for the cluster's metadata to settle, not for a test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while waiting for a Kafka topic", e);
        }
    }

    /** The partition of a sharding key: Kafka's own hash for keyed records, so other clients agree. */
    static int partitionFor(String shardingKey, int partitions) {
        return Utils.toPositive(Utils.murmur2(shardingKey.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    @Override
    public CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        try {
            backend.ensureOpen();
            ensureReady();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        int count = records.size();
        if (count == 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        Position[] positions = new Position[count];
        AtomicInteger remaining = new AtomicInteger(count);
        AtomicReference<Exception> failure = new AtomicReference<>();
        CompletableFuture<List<Position>> result = new CompletableFuture<>();
        Runnable finish = () -> {
            // complete off the producer's I/O thread: a caller chaining a blocking append must not stall it
            backend.callbacks().execute(() -> {
                Exception failed = failure.get();
                if (failed == null) {
                    result.complete(List.of(positions));
                } else {
                    result.completeExceptionally(KafkaErrors.translate("Appending " + count + " record(s) to Kafka topic \""
                            + name + "\"", backend.options().bootstrapServers(), failed));
                }
            });
        };
        for (int i = 0; i < count; i++) {
            int index = i;
            Callback callback = (metadata, exception) -> {
                if (exception != null) {
                    failure.compareAndSet(null, exception);
                } else {
                    positions[index] = Position.of(metadata.partition(), metadata.offset());
                }
                if (remaining.decrementAndGet() == 0) {
                    finish.run();
                }
            };
            try {
                backend.producer().send(toProducerRecord(records.get(i)), callback);
            } catch (RuntimeException e) {
                // stop here: sending the rest would let later records of a key pass this one
                failure.compareAndSet(null, e);
                if (remaining.addAndGet(-(count - i)) == 0) {
                    finish.run();
                }
                break;
            }
        }
        return result;
    }

    private ProducerRecord<byte[], byte[]> toProducerRecord(AppendRecord record) {
        int partition = partitionFor(record.shardingKey(), partitions);
        // the key is what Kafka compacts by: the logCompactId, or a random key no later record repeats
        String key = record.logCompactId().orElseGet(backend::uniqueKey);
        List<Header> headers = new ArrayList<>(record.headers().size() + 2);
        record.headers().forEach((headerName, value) -> {
            if (!headerName.equals(SHARDING_KEY_HEADER) && !headerName.equals(LOG_COMPACT_ID_HEADER)) {
                headers.add(new RecordHeader(headerName, value.getBytes(StandardCharsets.UTF_8)));
            }
        });
        headers.add(new RecordHeader(SHARDING_KEY_HEADER, record.shardingKey().getBytes(StandardCharsets.UTF_8)));
        record.logCompactId().ifPresent(id ->
                headers.add(new RecordHeader(LOG_COMPACT_ID_HEADER, id.getBytes(StandardCharsets.UTF_8))));
        return new ProducerRecord<>(name, partition, null, key.getBytes(StandardCharsets.UTF_8), record.payload(), headers);
    }

    /**
     * The stored form of a consumed record. Records written by other Kafka clients (no framework
     * headers) get their key as sharding key and no logCompactId.
     */
    static io.streamable.backend.StoredRecord toStoredRecord(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new HashMap<>();
        String shardingKey = null;
        Optional<String> logCompactId = Optional.empty();
        for (Header header : record.headers()) {
            String value = header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
            switch (header.key()) {
                case SHARDING_KEY_HEADER -> shardingKey = value;
                case LOG_COMPACT_ID_HEADER -> logCompactId = Optional.of(value);
                default -> headers.put(header.key(), value);
            }
        }
        if (shardingKey == null) {
            shardingKey = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
        }
        return new io.streamable.backend.StoredRecord(Position.of(record.partition(), record.offset()),
                Instant.ofEpochMilli(record.timestamp()), shardingKey, logCompactId, headers, record.value());
    }

    @Override
    public TopicReader openReader(ReaderSpec spec) {
        backend.ensureOpen();
        ensureReady();
        return KafkaTopicReader.open(backend, this, spec);
    }

    /** The committed offsets of a group on this topic (next offset to read), empty if it has none. */
    Map<TopicPartition, Long> committedOffsets(String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = backend.admin()
                    .listConsumerGroupOffsets(Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(topicPartitions())))
                    .partitionsToOffsetAndMetadata(group).get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> committed = new HashMap<>();
            offsets.forEach((partition, offset) -> {
                if (offset != null && offset.offset() >= 0) {
                    committed.put(partition, offset.offset());
                }
            });
            return committed;
        } catch (Exception e) {
            throw backend.failure("Reading the saved position of consumer \"" + group + "\" on Kafka topic \"" + name + "\"", e);
        }
    }

    /** The position of the last consumed records, given committed next-offsets; empty if none was consumed. */
    @Override
    public Optional<Position> head() {
        return consumedPosition(offsets(OffsetSpec.latest()));
    }

    static Optional<Position> consumedPosition(Map<TopicPartition, Long> nextOffsets) {
        Map<Integer, Long> consumed = new TreeMap<>();
        nextOffsets.forEach((partition, next) -> {
            if (next > 0) {
                consumed.put(partition.partition(), next - 1);
            }
        });
        return consumed.isEmpty() ? Optional.empty() : Optional.of(Position.of(consumed));
    }

    @Override
    public Optional<Position> savedPosition(String consumerName) {
        backend.ensureOpen();
        ensureReady();
        return consumedPosition(committedOffsets(consumerName));
    }

    @Override
    public Set<String> consumerNames() {
        backend.ensureOpen();
        ensureReady();
        try {
            Collection<GroupListing> groups = backend.admin().listGroups(ListGroupsOptions.forConsumerGroups()).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (groups.isEmpty()) {
                return Set.of();
            }
            Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
            for (GroupListing group : groups) {
                specs.put(group.groupId(), new ListConsumerGroupOffsetsSpec().topicPartitions(topicPartitions()));
            }
            Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets = backend.admin().listConsumerGroupOffsets(specs)
                    .all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            Set<String> names = new TreeSet<>();
            offsets.forEach((group, committed) -> {
                if (committed.values().stream().anyMatch(offset -> offset != null && offset.offset() >= 0)) {
                    names.add(group);
                }
            });
            return names;
        } catch (Exception e) {
            throw backend.failure("Listing the consumers of Kafka topic \"" + name + "\"", e);
        }
    }

    @Override
    public long lag(Optional<Position> position) {
        backend.ensureOpen();
        ensureReady();
        Map<TopicPartition, Long> end = offsets(OffsetSpec.latest());
        Map<TopicPartition, Long> start = position.isPresent() && position.get().offsets().size() >= partitions
                ? Map.of() : offsets(OffsetSpec.earliest());
        long lag = 0;
        for (TopicPartition partition : topicPartitions()) {
            long endOffset = end.getOrDefault(partition, 0L);
            long next = position.flatMap(p -> {
                var offset = p.offset(partition.partition());
                return offset.isPresent() ? Optional.of(offset.getAsLong() + 1) : Optional.empty();
            }).orElseGet(() -> start.getOrDefault(partition, 0L));
            lag += Math.max(0, endOffset - next);
        }
        return lag;
    }

    /** Offsets of every partition of this topic. */
    Map<TopicPartition, Long> offsets(OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition partition : topicPartitions()) {
            request.put(partition, spec);
        }
        try {
            Map<TopicPartition, ListOffsetsResultInfo> answer = backend.admin().listOffsets(request).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> offsets = new HashMap<>();
            answer.forEach((partition, info) -> offsets.put(partition, info.offset()));
            return offsets;
        } catch (Exception e) {
            throw backend.failure("Reading the offsets of Kafka topic \"" + name + "\"", e);
        }
    }

    @Override
    public String toString() {
        return "KafkaTopicStore[" + name + " on " + backend.describe() + "]";
    }
}
