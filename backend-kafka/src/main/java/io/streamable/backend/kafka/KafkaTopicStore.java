package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.TopicName;
import io.streamable.Slots;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerNameInUseException;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One Kafka topic: creation or validation, appends through the shared producer, admin queries, and
 * consumer groups (a named consumer's Kafka consumer group; slots are partitions).
 */
final class KafkaTopicStore implements TopicStore, ConsumerGroups {
    static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    /** How long an append the producer could not take waits before it is offered again. */
    private static final long LANE_RETRY_MS = 20;
    /** Upper bound of a record's framing (batch header share, varints, attributes) on top of key, value and headers. */
    private static final int RECORD_OVERHEAD_BYTES = 128;
    /** Kafka's default max.message.bytes, used when the topic's own cannot be read. */
    private static final int DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    /** How many of the newest offsets of each partition are read to check that keys still map to it. */
    private static final long REMAP_SAMPLE = 8;

    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopicStore.class);

    private final KafkaBackend backend;
    /** Retention and the time search (issue 17). */
    private final KafkaRetention retentionPolicy;
    private final String name;
    private volatile int partitions;
    /** The largest record the topic takes: its max.message.bytes, capped by the producer's max.request.size. */
    private volatile int maxRecordBytes;
    /** Appends the producer could not take at once, oldest first, handed over by the backend's lane thread. */
    private final ConcurrentLinkedQueue<PendingAppend> lane = new ConcurrentLinkedQueue<>();
    private final AtomicInteger laneSize = new AtomicInteger();
    private final AtomicBoolean draining = new AtomicBoolean();

    KafkaTopicStore(KafkaBackend backend, String name) {
        this.backend = backend;
        this.name = name;
        this.maxRecordBytes = Math.min(DEFAULT_MAX_MESSAGE_BYTES, backend.maxRequestSize());
        this.retentionPolicy = new KafkaRetention(backend, this);
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
    /** The topic was deleted: the next use creates it again, as on first use. */
    void forgetReady() {
        synchronized (this) {
            partitions = 0;
        }
    }

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
        if (!created && !internal()) {
            requestProducerMetadata(); // its round trip overlaps the check's, instead of following it
            refuseRemappedKeys(count);
        }
        warmProducerMetadata(deadline);
        partitions = count;
    }

    /**
     * A partition count changed since messages were written (an admin added partitions) moves
     * sharding keys to other partitions, so a key's new messages would overtake its old ones. The
     * newest framework-written records of each partition tell: their sharding key must still hash
     * to the partition they are in.
     */
    private void refuseRemappedKeys(int count) {
        Map<TopicPartition, Long> end = new HashMap<>();
        Map<TopicPartition, Long> earliest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> latestSpec = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliestSpec = new HashMap<>();
        for (int partition = 0; partition < count; partition++) {
            latestSpec.put(new TopicPartition(name, partition), OffsetSpec.latest());
            earliestSpec.put(new TopicPartition(name, partition), OffsetSpec.earliest());
        }
        try {
            // both requests in flight at once: one round trip of a topic's first use, not two
            var latest = backend.admin().listOffsets(latestSpec).all();
            var first = backend.admin().listOffsets(earliestSpec).all();
            latest.get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((partition, info) -> end.put(partition, info.offset()));
            first.get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((partition, info) -> earliest.put(partition, info.offset()));
        } catch (Exception e) {
            throw backend.failure("Reading the offsets of Kafka topic \"" + name + "\"", e);
        }
        end.entrySet().removeIf(entry -> entry.getValue() <= earliest.getOrDefault(entry.getKey(), 0L));
        if (end.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            consumer = backend.newConsumer("streamable-partition-check-" + backend.nextClientNumber(), Optional.empty());
            var checking = consumer;
            checking.assign(end.keySet());
            // the last few offsets: the very last one may be a transaction marker or compacted away
            end.forEach((partition, next) -> checking.seek(partition,
                    Math.max(earliest.getOrDefault(partition, 0L), next - REMAP_SAMPLE)));
            Set<TopicPartition> pending = new java.util.HashSet<>(end.keySet());
            while (!pending.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : checking.poll(java.time.Duration.ofMillis(200))) {
                    checkPartitionOf(record, count);
                }
                pending.removeIf(partition -> checking.position(partition) >= end.get(partition));
            }
        } catch (StreamableException e) {
            throw e;
        } catch (RuntimeException e) {
            // a check, not the topic's use: a principal that may not read still appends
            LOG.debug("Could not check the partitions of the records of Kafka topic \"{}\"", name, e);
        } finally {
            if (consumer != null) {
                // no group, nothing to send: waiting would wait for the prefetch the broker holds for
                // fetch.max.wait.ms (500 ms) at the end of the log, on every topic's first use
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(java.time.Duration.ZERO));
            }
        }
    }

    private void checkPartitionOf(ConsumerRecord<byte[], byte[]> record, int count) {
        String shardingKey = KafkaRecordFormat.frameworkShardingKey(record);
        if (shardingKey == null) {
            return; // another client's record: its producer chose the partition
        }
        int expected = partitionFor(shardingKey, count);
        if (expected != record.partition()) {
            throw new StreamableException("Kafka topic \"" + name + "\" has " + count + " partitions now, but its"
                    + " message at " + record.partition() + ":" + record.offset() + " was written when it had another"
                    + " count: its sharding key belongs in partition " + expected + " today. Someone changed the"
                    + " partition count, which moves sharding keys to other partitions, so new messages of a key would"
                    + " be read before its older ones. Restore the old count by moving the data to a new topic with"
                    + " that count (partitions cannot be removed), or start a new topic.");
        }
    }

    /** Sends the producer's metadata request for the topic without waiting for its answer. */
    private void requestProducerMetadata() {
        try {
            backend.producer().partitionsFor(name);
        } catch (RuntimeException e) {
            // TimeoutException at once (max.block.ms=0): the request is on its way; warmProducerMetadata waits
        }
    }

    /**
     * Has the producer fetch the topic's metadata now, while opening may wait, so the first
     * append does not find it missing (appends never wait for it: {@code max.block.ms=0}).
     */
    private void warmProducerMetadata(long deadline) {
        while (true) {
            try {
                backend.producer().partitionsFor(name);
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    return; // appends wait for it in the lane instead
                }
                pause(10); // the metadata request is already on its way; its answer takes a round trip
            } catch (RuntimeException e) {
                LOG.debug("The producer could not read the metadata of Kafka topic \"{}\" yet", name, e);
                return;
            }
        }
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
        refuseCollidingName();
        Optional<Integer> partitionCount = internal() ? Optional.of(1)
                : options.partitions().isPresent() ? Optional.of(options.partitions().getAsInt()) : Optional.empty();
        Map<String, String> configs = new HashMap<>(options.topicConfigs());
        // acks=all means "all in-sync replicas": without a minimum, one replica left in sync is enough
        options.replication().ifPresent(replication ->
                configs.putIfAbsent(MIN_INSYNC_REPLICAS, String.valueOf(Math.min(2, replication))));
        NewTopic topic = new NewTopic(name, partitionCount, options.replication()).configs(configs);
        try {
            backend.admin().createTopics(List.of(topic)).all().get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Created Kafka topic \"{}\" ({} partitions, replication {}, {})", name,
                    partitionCount.map(String::valueOf).orElse("broker default"),
                    options.replication().map(String::valueOf).orElse("broker default"), configs);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            if (e.getCause() instanceof InvalidTopicException invalid && invalid.getMessage() != null
                    && invalid.getMessage().contains("collides")) {
                throw collision(invalid.getMessage(), invalid);
            }
            throw backend.failure("Creating Kafka topic \"" + name + "\"", e);
        } catch (Exception e) {
            throw backend.failure("Creating Kafka topic \"" + name + "\"", e);
        }
    }

    /**
     * Kafka uses topic names in metric names, where '.' and '_' are the same, so it refuses a topic
     * whose name differs from an existing one only there; say so before trying.
     */
    private void refuseCollidingName() {
        if (name.indexOf('.') < 0 && name.indexOf('_') < 0) {
            return;
        }
        String normalized = name.replace('.', '_');
        Set<String> existing;
        try {
            existing = backend.admin().listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw backend.failure("Listing topics before creating Kafka topic \"" + name + "\"", e);
        }
        for (String other : existing) {
            if (!other.equals(name) && other.replace('.', '_').equals(normalized)) {
                throw collision("it collides with existing topic \"" + other + "\"", null);
            }
        }
    }

    private StreamableException collision(String detail, Throwable cause) {
        return new StreamableException("Kafka topic \"" + name + "\" cannot be created: " + detail + ". Kafka treats '.'"
                + " and '_' in topic names as the same character, so two topics may not differ only there. Choose a"
                + " name that differs in another character (or use only one of '.' and '_' in your topic names).",
                cause);
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
        Config config = topicConfig();
        if (config != null) {
            ConfigEntry maxMessage = config.get("max.message.bytes");
            if (maxMessage != null && maxMessage.value() != null) {
                maxRecordBytes = Math.min(backend.maxRequestSize(), Integer.parseInt(maxMessage.value()));
            }
        }
        if (created && options.replication().isEmpty() && !options.topicConfigs().containsKey(MIN_INSYNC_REPLICAS)
                && actualReplication >= 2) {
            requireTwoInSync();
        }
        if (!created && config != null) {
            ConfigEntry entry = config.get("cleanup.policy");
            String policy = entry == null ? null : entry.value();
            if (policy != null && !policy.contains("compact")) {
                LOG.warn("Kafka topic \"{}\" exists with cleanup.policy={}: messages with a logCompactId will not be"
                        + " compacted on it. Set cleanup.policy=compact on the topic to have them compacted.", name, policy);
            }
        }
    }

    /** A topic created with the broker's default replication of 2 or more: acks=all then waits for two replicas. */
    private void requireTwoInSync() {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        AlterConfigOp set = new AlterConfigOp(new ConfigEntry(MIN_INSYNC_REPLICAS, "2"), AlterConfigOp.OpType.SET);
        try {
            backend.admin().incrementalAlterConfigs(Map.of(resource, List.of(set))).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw backend.failure("Setting min.insync.replicas=2 on the new Kafka topic \"" + name + "\"", e);
        }
    }

    /** The topic's configs, or null if they cannot be read (a principal without DescribeConfigs may still use it). */
    private Config topicConfig() {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        try {
            return backend.admin().describeConfigs(List.of(resource)).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS).get(resource);
        } catch (Exception e) {
            LOG.debug("Could not read the configs of Kafka topic \"{}\"", name, e);
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
        pause(100);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // waiting for the cluster's metadata to settle, not for a test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while waiting for a Kafka topic", e);
        }
    }

    /** The partition of a sharding key: Kafka's own hash for keyed records, so other clients agree. */
    static int partitionFor(String shardingKey, int partitions) {
        // one hash for partitions and consumer group slots: Slots is byte for byte Kafka's keyed partitioner
        return Slots.slotOf(shardingKey, partitions);
    }

    /**
     * Hands the records to the producer and returns at once: the producer is configured never to
     * block ({@code max.block.ms=0}), and an append it cannot take now (no metadata for the topic
     * yet, or its buffer full, as during an outage) waits in this topic's lane, off the caller's
     * thread, until it can or until the delivery timeout has passed. Appends after one in the lane
     * queue behind it, so one caller's appends keep their order. The records of one append are
     * handed over in order, and the first one refused stops the rest: a failed append stores a
     * prefix of its records.
     */
    @Override
    public CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        try {
            backend.ensureOpen();
            ensureReady();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        PendingAppend append = new PendingAppend(records, System.nanoTime() + backend.deliveryTimeout().toNanos());
        if (laneSize.get() == 0 && handOver(append)) {
            return append.result;
        }
        // what the producer did not take waits in the lane, within the connection's bound: the lane would
        // otherwise hold every append of an outage in memory until the delivery timeout
        int waiting = records.size() - append.next;
        long bytes = 0;
        for (int index = append.next; index < records.size(); index++) {
            bytes += pendingSize(records.get(index));
        }
        if (!backend.reservePending(waiting, bytes)) {
            append.stop(append.next, laneFull(waiting, bytes));
            return append.result;
        }
        append.reservedRecords = waiting;
        append.reservedBytes = bytes;
        laneSize.incrementAndGet();
        lane.add(append);
        scheduleDrain(0);
        return append.result;
    }

    /** What a record waiting in the lane counts against {@code maxPendingBytes}: its content and a share of the objects holding it. */
    static long pendingSize(AppendRecord record) {
        long size = RECORD_OVERHEAD_BYTES + record.payload().length + 2L * record.shardingKey().length()
                + record.logCompactId().map(String::length).orElse(0);
        for (Map.Entry<String, String> header : record.headers().entrySet()) {
            size += header.getKey().length() + header.getValue().length();
        }
        return size;
    }

    /** The refusal of an append for which the lane has no room: nothing of it was handed over after {@code next}. */
    private BackendUnavailableException laneFull(int records, long bytes) {
        long[] pending = backend.pending();
        return new BackendUnavailableException("Kafka at " + backend.options().bootstrapServers() + " is not taking records"
                + " fast enough: the producer's buffer (buffer.memory) is full and " + pending[0] + " record(s) of about "
                + pending[1] + " bytes already wait for it on this connection; the limit is "
                + backend.options().maxPendingRecords() + " record(s) (" + KafkaOptions.MAX_PENDING_RECORDS + ") and "
                + backend.options().maxPendingBytes() + " bytes (" + KafkaOptions.MAX_PENDING_BYTES + "). This append to"
                + " topic \"" + name + "\" (" + records + " record(s), about " + bytes + " bytes, not stored) was"
                + " refused; appends accepted before it are not affected. Check that the brokers are running and"
                + " reachable, then append it again (waiting for earlier appends first slows the producer to what Kafka"
                + " takes), or raise the limits in the URL.", null);
    }

    /**
     * Hands the append's records from {@code append.next} on to the producer; false if the producer
     * could not take one now (it is tried again later from that record), true once every record was
     * handed over or the append stopped at a refused one.
     */
    private boolean handOver(PendingAppend append) {
        var producer = backend.producer();
        while (append.next < append.records.size()) {
            int index = append.next;
            ProducerRecord<byte[], byte[]> record;
            RecordCallback callback = new RecordCallback(append, index);
            try {
                record = toProducerRecord(append.records.get(index));
                if (estimatedSize(record) > maxRecordBytes) {
                    // the broker would refuse it after later records of the append were stored
                    append.stop(index, new RecordTooLargeException("a record of about " + estimatedSize(record)
                            + " bytes is larger than the " + maxRecordBytes + " bytes Kafka topic \"" + name
                            + "\" accepts (max.message.bytes)"));
                    return true;
                }
                producer.send(record, callback);
            } catch (RuntimeException e) {
                callback.refused = e;
            }
            Exception refused = callback.handedOver();
            if (refused != null) {
                if (refused instanceof TimeoutException) {
                    if (System.nanoTime() < append.deadline) {
                        return false; // no metadata or no buffer space yet: later, from this record
                    }
                    refused = new TimeoutException("the producer could not take the record within the delivery"
                            + " timeout of " + backend.deliveryTimeout().toMillis() + " ms: the topic's metadata stayed"
                            + " unknown or the producer's buffer stayed full (" + refused.getMessage() + ")", refused);
                }
                append.stop(index, refused);
                return true;
            }
            append.next = index + 1;
        }
        return true;
    }

    private void scheduleDrain(long delayMillis) {
        if (delayMillis > 0) {
            backend.lane(this::drain, delayMillis);
        } else if (draining.compareAndSet(false, true)) {
            backend.lane(this::drain, 0);
        }
    }

    /** Runs on the backend's lane thread: hands queued appends over in order, retrying the first until it goes. */
    private void drain() {
        while (true) {
            PendingAppend append;
            while ((append = lane.peek()) != null) {
                if (!handOver(append)) {
                    scheduleDrain(LANE_RETRY_MS); // still draining: only this store's lane waits, not the thread
                    return;
                }
                lane.poll();
                laneSize.decrementAndGet();
                append.releaseReservation();
            }
            draining.set(false);
            if (lane.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    /** Fails the appends still waiting in the lane: the backend is closing. */
    void failQueued(Exception cause) {
        PendingAppend append;
        while ((append = lane.poll()) != null) {
            laneSize.decrementAndGet();
            append.releaseReservation();
            append.stop(append.next, cause);
        }
    }

    private static int estimatedSize(ProducerRecord<byte[], byte[]> record) {
        int size = RECORD_OVERHEAD_BYTES + record.key().length + record.value().length;
        for (Header header : record.headers()) {
            size += header.key().length() + header.value().length + 2;
        }
        return size;
    }

    /** One append on its way to the producer; completes when every record is acknowledged or it stopped. */
    private final class PendingAppend {
        final List<AppendRecord> records;
        final long deadline;
        final Position[] positions;
        final AtomicInteger remaining;
        final AtomicReference<Exception> failure = new AtomicReference<>();
        final CompletableFuture<List<Position>> result = new CompletableFuture<>();
        /** The next record to hand over: touched by the caller, then only by the lane thread. */
        int next;
        /** What this append holds of the connection's lane bound while it waits (see {@link KafkaBackend#reservePending}). */
        int reservedRecords;
        long reservedBytes;

        PendingAppend(List<AppendRecord> records, long deadline) {
            this.records = records;
            this.deadline = deadline;
            this.positions = new Position[records.size()];
            this.remaining = new AtomicInteger(records.size());
        }

        /** Gives the lane room back once the append left it (handed over, stopped, or failed by a close). */
        void releaseReservation() {
            if (reservedRecords > 0 || reservedBytes > 0) {
                backend.releasePending(reservedRecords, reservedBytes);
                reservedRecords = 0;
                reservedBytes = 0;
            }
        }

        void acknowledged(int index, RecordMetadata metadata, Exception exception) {
            if (exception != null) {
                failure.compareAndSet(null, exception);
            } else {
                positions[index] = Position.of(metadata.partition(), metadata.offset());
            }
            if (remaining.decrementAndGet() == 0) {
                finish();
            }
        }

        /** Records from {@code from} on are never handed over. */
        void stop(int from, Exception cause) {
            failure.compareAndSet(null, cause);
            if (remaining.addAndGet(-(records.size() - from)) == 0) {
                finish();
            }
        }

        private void finish() {
            // complete off the producer's I/O thread: a caller chaining a blocking append must not stall it
            backend.callbacks().execute(() -> {
                Exception failed = failure.get();
                if (failed == null) {
                    result.complete(List.of(positions));
                } else {
                    result.completeExceptionally(KafkaErrors.translate("Appending " + records.size()
                            + " record(s) to Kafka topic \"" + name + "\"", backend.options().bootstrapServers(), failed));
                }
            });
        }
    }

    /**
     * The producer's callback for one record. A failure reported while {@code send} is still
     * running on the caller's thread means the record was not taken at all (KafkaProducer reports
     * such failures through the callback rather than throwing); it is kept for the caller to decide.
     */
    private static final class RecordCallback implements Callback {
        private final PendingAppend append;
        private final int index;
        private volatile Thread sending = Thread.currentThread();
        /** Read and written by the sending thread only. */
        Exception refused;

        RecordCallback(PendingAppend append, int index) {
            this.append = append;
            this.index = index;
        }

        @Override
        public void onCompletion(RecordMetadata metadata, Exception exception) {
            if (exception != null && Thread.currentThread() == sending) {
                refused = exception;
                return;
            }
            append.acknowledged(index, metadata, exception);
        }

        /** The failure with which the producer refused the record, or null once it has it. */
        Exception handedOver() {
            sending = null;
            return refused;
        }
    }

    /** The Kafka record of a message, in format 2 (see {@link KafkaRecordFormat}). */
    private ProducerRecord<byte[], byte[]> toProducerRecord(AppendRecord record) {
        int partition = partitionFor(record.shardingKey(), partitions);
        byte[] key = record.logCompactId().isPresent()
                ? KafkaRecordFormat.compactionKey(record.shardingKey(), record.logCompactId().get())
                : backend.uniqueKey(record.shardingKey());
        return new ProducerRecord<>(name, partition, null, key, record.payload(), KafkaRecordFormat.headers(record));
    }

    /** The stored form of a consumed record, in either format or another client's (see {@link KafkaRecordFormat}). */
    static io.streamable.backend.StoredRecord toStoredRecord(ConsumerRecord<byte[], byte[]> record) {
        return KafkaRecordFormat.toStoredRecord(record);
    }

    @Override
    public TopicReader openReader(ReaderSpec spec) {
        backend.ensureOpen();
        ensureReady();
        return KafkaTopicReader.open(backend, this, spec);
    }

    /**
     * Joins the Kafka consumer group named after the consumer, subscribed to this topic with the
     * cooperative sticky assignor: the slot count is the partition count, which the backend never
     * changes and refuses to find changed (see {@link #ensureReady}), so a member can never ask for
     * another one.
     */
    @Override
    public GroupMemberReader joinGroup(ReaderSpec spec, RebalanceListener listener) {
        if (spec.consumerName().isEmpty()) {
            throw new IllegalArgumentException("Only a named reader joins a consumer group (topic \"" + name
                    + "\"): give the ReaderSpec a consumer name");
        }
        backend.ensureOpen();
        ensureReady();
        return KafkaTopicReader.join(backend, this, spec, listener);
    }

    /**
     * From the admin client: the group's members reading this topic (framework members and readers by
     * their client ids, other Kafka clients by their assignment), each partition's committed offset,
     * owner and lag (end offset minus committed offset, or minus the earliest offset when nothing is
     * committed).
     */
    @Override
    public Optional<GroupDescription> describeGroup(String consumerName) {
        backend.ensureOpen();
        ensureReady();
        List<MemberDescription> members = KafkaTopicReader.holders(backend, name, consumerName, null);
        Map<TopicPartition, Long> committed = committedOffsets(consumerName);
        if (members.isEmpty() && committed.isEmpty()) {
            return Optional.empty();
        }
        Map<TopicPartition, Long> end = offsets(OffsetSpec.latest());
        Map<TopicPartition, Long> earliest = offsets(OffsetSpec.earliest());
        List<MemberDescription> oldestFirst = new ArrayList<>(members);
        oldestFirst.sort(java.util.Comparator.comparingLong((MemberDescription member) ->
                KafkaTopicReader.openedAt(member.clientId())).thenComparing(MemberDescription::clientId));
        Map<Integer, String> owners = new HashMap<>();
        List<GroupDescription.Member> described = new ArrayList<>();
        for (MemberDescription member : oldestFirst) {
            Set<Integer> slots = new TreeSet<>();
            member.assignment().topicPartitions().stream().filter(partition -> partition.topic().equals(name))
                    .forEach(partition -> slots.add(partition.partition()));
            slots.forEach(slot -> owners.put(slot, member.clientId()));
            described.add(new GroupDescription.Member(member.clientId(), slots));
        }
        List<GroupDescription.SlotState> slots = new ArrayList<>();
        for (TopicPartition partition : topicPartitions()) {
            Long next = committed.get(partition);
            Optional<Position> position = next == null || next <= 0 ? Optional.empty()
                    : Optional.of(Position.of(partition.partition(), next - 1));
            long from = next != null ? next : earliest.getOrDefault(partition, 0L);
            long lag = Math.max(0, end.getOrDefault(partition, 0L) - from);
            slots.add(new GroupDescription.SlotState(partition.partition(), position,
                    Optional.ofNullable(owners.get(partition.partition())), lag));
        }
        return Optional.of(new GroupDescription(consumerName, partitions, described, slots));
    }

    /**
     * Commits the group's offsets on this topic with the admin client, which Kafka allows only
     * while the group has no members: so a live reader, here or of the same name on another topic,
     * is never moved, and a member whose session expired has left the group (its later commits
     * fail on its stale generation).
     */
    @Override
    public void resetPosition(String consumerName, Optional<Position> position) {
        backend.ensureOpen();
        ensureReady();
        refuseLiveHolders(consumerName);
        Map<TopicPartition, Long> next = new HashMap<>(offsets(OffsetSpec.earliest()));
        position.ifPresent(after -> after.offsets().forEach((partition, offset) -> {
            TopicPartition topicPartition = new TopicPartition(name, partition);
            if (!next.containsKey(topicPartition)) {
                throw new IllegalArgumentException("Position " + after.encode() + " names partition " + partition
                        + ", but Kafka topic \"" + name + "\" has " + partitions + " partition(s): pass a position"
                        + " read from this topic");
            }
            next.merge(topicPartition, offset + 1, Math::max);
        }));
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        next.forEach((partition, offset) -> offsets.put(partition, new OffsetAndMetadata(offset)));
        try {
            backend.admin().alterConsumerGroupOffsets(consumerName, offsets).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw adminRefusal(consumerName, "Resetting", e);
        } catch (Exception e) {
            throw backend.failure("Resetting consumer \"" + consumerName + "\" on Kafka topic \"" + name + "\"", e);
        }
    }

    /** Deletes the group's offsets on this topic; refused by Kafka while a member reads it. */
    @Override
    public void deleteConsumer(String consumerName) {
        backend.ensureOpen();
        ensureReady();
        refuseLiveHolders(consumerName);
        try {
            backend.admin().deleteConsumerGroupOffsets(consumerName, Set.copyOf(topicPartitions())).all()
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return; // the name was never used: nothing to forget
            }
            throw adminRefusal(consumerName, "Deleting", e);
        } catch (Exception e) {
            throw backend.failure("Deleting consumer \"" + consumerName + "\" on Kafka topic \"" + name + "\"", e);
        }
    }

    private void refuseLiveHolders(String consumerName) {
        if (!KafkaTopicReader.holders(backend, name, consumerName, null).isEmpty()) {
            throw new ConsumerNameInUseException(name, consumerName);
        }
    }

    private RuntimeException adminRefusal(String consumerName, String doing, ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof UnknownMemberIdException || cause instanceof GroupNotEmptyException
                || cause instanceof GroupSubscribedToTopicException || cause instanceof RebalanceInProgressException) {
            // the group has members, perhaps readers of this name on other topics: Kafka refuses to move it
            return new ConsumerNameInUseException(name, consumerName);
        }
        return backend.failure(doing + " consumer \"" + consumerName + "\" on Kafka topic \"" + name + "\"", e);
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
    public io.streamable.Retention retention() {
        backend.ensureOpen();
        return retentionPolicy.retention();
    }

    @Override
    public void setRetention(io.streamable.Retention retention) {
        backend.ensureOpen();
        retentionPolicy.setRetention(retention);
    }

    @Override
    public void enforceRetention() {
        backend.ensureOpen();
        ensureReady();
        retentionPolicy.enforce();
    }

    @Override
    public Optional<Position> positionBefore(Instant instant) {
        backend.ensureOpen();
        return retentionPolicy.positionBefore(instant);
    }

    @Override
    public io.streamable.TopicDescription describeTopic() {
        backend.ensureOpen();
        ensureReady();
        return retentionPolicy.describe();
    }

    @Override
    public long lag(Optional<Position> position) {
        backend.ensureOpen();
        ensureReady();
        Map<TopicPartition, Long> end = offsets(OffsetSpec.latest());
        // always read: offsets below the log start were removed by retention and are not counted
        Map<TopicPartition, Long> start = offsets(OffsetSpec.earliest());
        long lag = 0;
        for (TopicPartition partition : topicPartitions()) {
            long endOffset = end.getOrDefault(partition, 0L);
            long next = position.flatMap(p -> {
                var offset = p.offset(partition.partition());
                return offset.isPresent() ? Optional.of(offset.getAsLong() + 1) : Optional.empty();
            }).orElseGet(() -> start.getOrDefault(partition, 0L));
            lag += Math.max(0, endOffset - Math.max(next, start.getOrDefault(partition, 0L)));
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
