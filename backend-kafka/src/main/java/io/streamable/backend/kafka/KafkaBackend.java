package io.streamable.backend.kafka;

import io.streamable.StreamableException;
import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerNameInUseException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A connection to a Kafka cluster: one admin client and one producer shared by all topics, one
 * consumer per reader.
 */
final class KafkaBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBackend.class);
    /** Heartbeat-based lease of a consumer name; short, so a crashed holder frees the name soon. */
    static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    /**
     * The heartbeat interval of consumer group members unless {@code kafka.heartbeat.interval.ms} says
     * otherwise: a member hears of a rebalance with its next heartbeat, so this bounds how late it joins in.
     */
    static final int MEMBER_HEARTBEAT_MS = 250;
    /**
     * {@code max.partition.fetch.bytes} of consumer group members unless the URL says otherwise: small
     * enough that a member's slots take turns every few hundred records (see {@link #newConsumer}).
     */
    static final int MEMBER_PARTITION_FETCH_BYTES = 64 * 1024;
    private static final AtomicLong CLIENTS = new AtomicLong();
    private static final AtomicLong CALLBACK_THREADS = new AtomicLong();

    private final BackendUrl url;
    private final KafkaOptions options;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, KafkaTopicStore> stores = new ConcurrentHashMap<>();
    private final Set<KafkaTopicReader> readers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set by this package's tests: every named reader of this connection acts as a paused process. */
    private volatile boolean readersSuspended;
    /**
     * Random per connection (96 bits, base64url), so keys of records without a logCompactId never
     * repeat across connections; a counter follows it.
     */
    private final byte[] uniqueKeyPrefix = uniqueKeyPrefix();
    private final AtomicLong uniqueKeys = new AtomicLong();
    /** Hands over appends the producer could not take at once (see {@link KafkaTopicStore#append}). */
    private final ScheduledExecutorService lane = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "streamable-kafka-lane-" + CALLBACK_THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    /** Completes append futures; cached, so a caller's stage that blocks on another append cannot stall the rest. */
    private final ExecutorService callbacks = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "streamable-kafka-callbacks-" + CALLBACK_THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    /** Records, and their estimated bytes, that wait in this connection's lanes for the producer; guarded by this. */
    private long pendingRecords;
    private long pendingBytes;

    /** Read once: appends and reads consult them on every call. */
    private final Duration deliveryTimeout;
    private final Duration sessionTimeout;
    private final long livenessNanos;
    private final long maxPollIntervalNanos;

    private KafkaBackend(BackendUrl url, KafkaOptions options, Admin admin, KafkaProducer<byte[], byte[]> producer) {
        this.url = url;
        this.options = options;
        this.admin = admin;
        this.producer = producer;
        Object delivery = options.producerConfigs().get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);
        this.deliveryTimeout = Duration.ofMillis(delivery == null ? 120_000 : Long.parseLong(delivery.toString()));
        Object session = options.consumerConfigs().get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        this.sessionTimeout = Duration.ofMillis(session == null ? DEFAULT_SESSION_TIMEOUT_MS : Long.parseLong(session.toString()));
        Object maxPoll = options.consumerConfigs().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        Duration maxPollInterval = Duration.ofMillis(maxPoll == null ? 300_000 : Long.parseLong(maxPoll.toString()));
        this.livenessNanos = Math.min(sessionTimeout.toNanos(), maxPollInterval.toNanos());
        this.maxPollIntervalNanos = maxPollInterval.toNanos();
    }

    /** The consumers' {@code max.poll.interval.ms}: a member that has not polled for longer has left its group. */
    long maxPollIntervalNanos() {
        return maxPollIntervalNanos;
    }

    /**
     * The shortest pause after which the group may have expired a reader: its session (no
     * heartbeat), or its poll interval (no poll), whichever is shorter.
     */
    long livenessNanos() {
        return livenessNanos;
    }

    static KafkaBackend open(BackendUrl url, KafkaOptions options) {
        long id = CLIENTS.incrementAndGet();
        Map<String, Object> adminConfig = new HashMap<>(options.adminConfigs());
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        adminConfig.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "streamable-admin-" + id);
        adminConfig.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) options.timeout().toMillis());
        adminConfig.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
                (int) Math.min(options.timeout().toMillis(), 30_000));
        Admin admin;
        try {
            admin = Admin.create(adminConfig);
        } catch (RuntimeException e) {
            throw KafkaErrors.clientCreation("admin client", url, options, e);
        }
        try {
            // fail early and clearly on a wrong address or missing credentials
            admin.describeCluster().clusterId().get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            admin.close(Duration.ZERO);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw KafkaErrors.translate("Connecting to " + url.masked(), options.bootstrapServers(), e);
        }
        Map<String, Object> producerConfig = new HashMap<>(options.producerConfigs());
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        producerConfig.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producerConfig.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producerConfig.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "streamable-producer-" + id);
        // durable and ordered per partition even across retries: what TopicStore promises
        producerConfig.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // send() never waits on the caller's thread: an append it cannot take now waits in the topic's lane
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0);
        KafkaProducer<byte[], byte[]> producer;
        try {
            producer = new KafkaProducer<>(producerConfig);
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw KafkaErrors.clientCreation("producer", url, options, e);
        }
        LOG.info("Connected to Kafka at {}", url.masked());
        return new KafkaBackend(url, options, admin, producer);
    }

    @Override
    public TopicStore topic(String name) {
        ensureOpen();
        TopicName.requireStorable(name);
        KafkaTopicStore store = stores.computeIfAbsent(name, n -> new KafkaTopicStore(this, n));
        store.ensureReady();
        return store;
    }

    /**
     * Deletes the topic and its schema topic with the admin client, after checking that no
     * consumer group has a live member reading it, and waits until the cluster no longer lists
     * them (Kafka deletes asynchronously; creating the name again before that would fail). Kafka
     * drops the groups' committed offsets of a deleted topic itself.
     */
    @Override
    public void deleteTopic(String name) {
        ensureOpen();
        TopicName.requireValid(name);
        List<String> doomed = List.of(name, TopicName.schemaTopicOf(name));
        try {
            Set<String> existing = new TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS));
            existing.retainAll(doomed);
            if (existing.isEmpty()) {
                return; // nothing to delete
            }
            for (GroupListing group : admin.listGroups(ListGroupsOptions.forConsumerGroups()).all()
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
                if (!KafkaTopicReader.holders(this, name, group.groupId(), null).isEmpty()) {
                    throw new ConsumerNameInUseException(name, group.groupId());
                }
            }
            admin.deleteTopics(existing).all().get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
            for (String topic : doomed) {
                KafkaTopicStore store = stores.get(topic);
                if (store != null) {
                    store.forgetReady();
                }
            }
            long deadline = System.nanoTime() + options.timeout().toNanos();
            while (admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS).stream().anyMatch(existing::contains)) {
                if (System.nanoTime() > deadline) {
                    throw new BackendUnavailableException("Kafka accepted the deletion of topic \"" + name
                            + "\" but still lists it after " + options.timeout() + "; check the brokers' logs", null);
                }
                Thread.sleep(100); // Kafka has no notification for a finished deletion
            }
        } catch (ConsumerNameInUseException | BackendUnavailableException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StreamableException("Interrupted while deleting Kafka topic \"" + name + "\"", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return; // deleted meanwhile by someone else
            }
            throw failure("Deleting topic \"" + name + "\"", e);
        } catch (Exception e) {
            throw failure("Deleting topic \"" + name + "\"", e);
        }
    }

    @Override
    public Set<String> listTopics() {
        ensureOpen();
        try {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(false)).names()
                    .get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
            Set<String> topics = new TreeSet<>();
            for (String name : names) {
                // the framework's own (__schemas.<topic>), Kafka's and tools' (__consumer_offsets, _schemas, ...)
                if (!TopicName.isInternal(name) && !name.startsWith("_")) {
                    topics.add(name);
                }
            }
            return topics;
        } catch (Exception e) {
            throw failure("Listing topics", e);
        }
    }

    @Override
    public String describe() {
        return url.masked();
    }

    /** A new consumer for the partition check, which seeks itself; {@code groupId} empty for no group. */
    KafkaConsumer<byte[], byte[]> newConsumer(String clientId, Optional<String> groupId) {
        // the partition check seeks itself and tolerates what retention removes meanwhile
        return newConsumer(clientId, groupId, false, "earliest");
    }

    /**
     * A new consumer for a reader; {@code groupId} empty for an anonymous reader, {@code member} for
     * a consumer group member ({@link KafkaTopicStore#joinGroup}).
     */
    KafkaConsumer<byte[], byte[]> newConsumer(String clientId, Optional<String> groupId, boolean member) {
        // a reader seeks every partition itself and handles an offset retention removed (a gap report,
        // then the log start): the client must not reset it silently
        return newConsumer(clientId, groupId, member, "none");
    }

    private KafkaConsumer<byte[], byte[]> newConsumer(String clientId, Optional<String> groupId, boolean member,
                                                      String offsetReset) {
        Map<String, Object> config = new HashMap<>(options.consumerConfigs());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        // positions are committed only by TopicReader.commit, after the handler succeeded
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, offsetReset);
        // records of transactions that other Kafka clients aborted are not messages; costs nothing without transactions
        config.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        if (groupId.isPresent()) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId.get());
            // the lease is the classic group membership; heartbeats keep it, its expiry frees a crashed holder's name
            config.putIfAbsent(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
            config.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, DEFAULT_SESSION_TIMEOUT_MS);
            Object session = config.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            if (member) {
                // the barrier needs incremental rebalances: a member gives up only the partitions that move,
                // and keeps the others (and their records in flight) through the rebalance
                config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
                // a fetch brings at most this much of each partition, and poll hands out one partition's fetched
                // records before the next's: with Kafka's 1 MiB (about 5000 small records) a busy member works
                // through one partition for seconds while its other slots wait, before and after a rebalance
                config.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MEMBER_PARTITION_FETCH_BYTES);
                // members learn of a rebalance from a heartbeat: frequent ones make a join or leave take effect soon
                config.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                        Math.max(100, Math.min(MEMBER_HEARTBEAT_MS, Integer.parseInt(session.toString()) / 4)));
            }
            config.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                    Math.max(100, Integer.parseInt(session.toString()) / 4));
        } else {
            config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        }
        try {
            return new KafkaConsumer<>(config);
        } catch (RuntimeException e) {
            throw KafkaErrors.clientCreation("consumer", url, options, e);
        }
    }

    /** The consumer session timeout readers use: how long a crashed reader keeps its name. */
    Duration sessionTimeout() {
        return sessionTimeout;
    }

    /**
     * A record key no other record has, for a record without a logCompactId, so compaction never
     * removes it: {@code 0x01}, this connection's 8 random bytes, its counter, the sharding key
     * (see {@link KafkaRecordFormat#uniqueKey}).
     */
    byte[] uniqueKey(String shardingKey) {
        return KafkaRecordFormat.uniqueKey(uniqueKeyPrefix, uniqueKeys.incrementAndGet(), shardingKey);
    }

    private static byte[] uniqueKeyPrefix() {
        byte[] random = new byte[8];
        new SecureRandom().nextBytes(random);
        return random;
    }

    /** Runs {@code task} on the lane thread after {@code delayMillis}; not at all once the backend is closed. */
    void lane(Runnable task, long delayMillis) {
        try {
            lane.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed: close() fails what is still queued
        }
    }

    /**
     * Reserves room for records that wait in a lane for the producer (see {@link KafkaTopicStore#append});
     * false, reserving nothing, if they would take the connection past {@code maxPendingRecords} or
     * {@code maxPendingBytes}. Every reservation is given back with {@link #releasePending}.
     */
    synchronized boolean reservePending(int records, long bytes) {
        if (pendingRecords + records > options.maxPendingRecords() || pendingBytes + bytes > options.maxPendingBytes()) {
            return false;
        }
        pendingRecords += records;
        pendingBytes += bytes;
        return true;
    }

    /** Gives back what {@link #reservePending} reserved, once the records left the lane. */
    synchronized void releasePending(int records, long bytes) {
        pendingRecords -= records;
        pendingBytes -= bytes;
    }

    /** Records and bytes waiting in this connection's lanes now, for the overflow message and the tests. */
    synchronized long[] pending() {
        return new long[] {pendingRecords, pendingBytes};
    }

    /** The producer's delivery timeout: how long an append may take before its future fails. */
    Duration deliveryTimeout() {
        return deliveryTimeout;
    }

    /** The producer's max.request.size: no record may be larger. */
    int maxRequestSize() {
        Object configured = options.producerConfigs().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return configured == null ? 1_048_576 : Integer.parseInt(configured.toString());
    }

    long nextClientNumber() {
        return CLIENTS.incrementAndGet();
    }

    /** Runs append completions off the producer's I/O thread. */
    Executor callbacks() {
        return task -> {
            try {
                callbacks.execute(task);
            } catch (RejectedExecutionException e) {
                task.run(); // closing: the producer is flushing its last callbacks
            }
        };
    }

    Admin admin() {
        return admin;
    }

    KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    KafkaOptions options() {
        return options;
    }

    Duration timeout() {
        return options.timeout();
    }

    /**
     * For this package's tests: every named reader of this connection, now and from now on, stops
     * polling Kafka as a paused process would, so the group expires it after
     * {@code max.poll.interval.ms}; its reads return nothing until then, and afterwards it is fenced.
     */
    void suspendReaders() {
        readersSuspended = true;
    }

    boolean readersSuspended() {
        return readersSuspended;
    }

    void track(KafkaTopicReader reader) {
        readers.add(reader);
    }

    void untrack(KafkaTopicReader reader) {
        readers.remove(reader);
    }

    StreamableException failure(String what, Throwable e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return KafkaErrors.translate(what, options.bootstrapServers(), e);
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The Kafka backend " + url.masked() + " is closed; open a new one");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (KafkaTopicReader reader : readers.toArray(KafkaTopicReader[]::new)) {
            reader.close();
        }
        lane.shutdownNow();
        IllegalStateException closing = new IllegalStateException("The Kafka backend " + url.masked()
                + " was closed before the append could be sent");
        stores.values().forEach(store -> store.failQueued(closing));
        try {
            // appends already handed to the producer complete (or fail) before it closes
            producer.close(options.timeout());
        } catch (RuntimeException e) {
            LOG.warn("Closing the Kafka producer for {} failed", url.masked(), e);
        }
        callbacks.shutdown();
        try {
            admin.close(options.timeout());
        } catch (RuntimeException e) {
            LOG.warn("Closing the Kafka admin client for {} failed", url.masked(), e);
        }
    }

    @Override
    public String toString() {
        return "KafkaBackend[" + url.masked() + "]";
    }
}
