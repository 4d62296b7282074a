package io.streamable.backend.mongoredis;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoClientException;
import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.event.ConnectionPoolClearedEvent;
import com.mongodb.event.ConnectionPoolListener;
import io.streamable.StreamableException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.TopicStore;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connection to MongoDB and Redis. Owns the MongoDB client, the Redis signals, the threads that
 * write appends and renew leases, and every topic store and reader made from it.
 */
final class MongoRedisBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(MongoRedisBackend.class);
    // Bookkeeping collections start with a single '_': no topic name can (user topics start with a
    // letter or digit, framework-internal ones such as __schemas.orders with "__").
    /** Consumer positions: one document per topic and consumer name. */
    static final String POSITIONS = "_streamable.positions";
    /** Consumer name leases: one document per topic and consumer name while a reader holds it. */
    static final String LEASES = "_streamable.leases";
    /**
     * One document per topic collection, {@code {_id: <collection>, topic, slotCount?}}: the topic
     * of a shortened collection name (names too long for a namespace), and the topic's slot count,
     * recorded the first time the topic is appended to or used by a consumer group.
     */
    static final String TOPICS = "_streamable.topics";
    /** Topics' retention limits and low-water marks ({@code removedBelow}), see {@link MongoRetention}. */
    static final String RETENTION = "_streamable.retention";
    /** How often this connection applies the retention of the topics it has opened. */
    static final long RETENTION_SWEEP_MILLIS = 1000;
    /**
     * The TypeScript prototype's id counters, {@code {_id: <collection>, seq}}: never a topic, only
     * written with {@code prototypeSignals=true}.
     */
    static final String PROTOTYPE_COUNTERS = "nextids";
    /**
     * The longest namespace ({@code database.collection}) used as is. MongoDB 4.4+ allows 255 bytes
     * (235 when sharded), older servers and mongo-java-server 120-128: longer topic names get a
     * shortened collection name, so a 200-character topic name works everywhere.
     */
    static final int MAX_NAMESPACE = 120;
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Writer threads: each drains one topic's queue at a time, so more topics than this take turns. */
    static final int WRITER_THREADS = 8;
    /** Records accepted but not yet written, across the topics of one connection; more fail at once. */
    static final int MAX_PENDING_RECORDS = 100_000;
    /** After a write found MongoDB unreachable, appends fail at once for this long; the next one probes. */
    static final long DOWN_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** The operation timeout ({@code timeoutMS}) unless the URL sets one. */
    static final long DEFAULT_TIMEOUT_MS = 10_000;

    final MongoRedisSettings settings;
    final String instanceId = UUID.randomUUID().toString();
    private final MongoClient client;
    private final MongoDatabase database;
    private final RedisSignals signals;
    private final ExecutorService writers;
    private final ScheduledExecutorService timers;
    /** Retention sweeps, apart from the timers: a slow removal must never delay a lease renewal. */
    private final ScheduledExecutorService retentionSweeper;
    /**
     * Publishes wake-up signals off the append path, so a slow or unreachable Redis never holds
     * up the writer; signals for one topic coalesce to the newest head while one is pending.
     */
    private final ScheduledExecutorService publisher;
    private final Map<String, Long> pendingSignals = new ConcurrentHashMap<>();
    /** When each topic's last signal was published ({@code System.nanoTime()}). */
    private final Map<String, Long> lastPublished = new ConcurrentHashMap<>();
    /**
     * At most one signal per topic this often: appends coming faster share one {@code PUBLISH}
     * (issue 16: a publish per single append cost its producer about a third of the time of the
     * append, the Redis round trip and its thread competing for the same cores). The first signal
     * after a quiet spell goes out at once; a later one waits at most this long.
     */
    static final long MIN_SIGNAL_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private final Map<String, MongoTopicStore> stores = new ConcurrentHashMap<>();
    private final Set<MongoTopicReader> readers = ConcurrentHashMap.newKeySet();
    /** Consumer group members of this connection ({@link MongoGroupReader}). */
    private final Set<MongoGroupReader> members = ConcurrentHashMap.newKeySet();
    /** Set by the test hook {@link #suspendOwnership()}: no reader of this connection renews its lease. */
    private volatile boolean suspended;
    private final AtomicBoolean bookkeepingIndexed = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final WriteConcern writeConcern;
    private final ReadConcern readConcern;
    private final List<Runnable> onPoolCleared;
    private final AtomicInteger pendingRecords = new AtomicInteger();
    private volatile long downUntilNanos;
    private volatile RuntimeException downCause;

    private MongoRedisBackend(MongoRedisSettings settings, MongoClient client, List<Runnable> onPoolCleared) {
        this.settings = settings;
        this.client = client;
        this.onPoolCleared = onPoolCleared;
        this.writeConcern = settings.writeConcern();
        this.readConcern = settings.readConcern();
        this.database = client.getDatabase(settings.database()).withWriteConcern(writeConcern)
                .withReadPreference(ReadPreference.primary());
        int instance = INSTANCES.incrementAndGet();
        ThreadPoolExecutor writerPool = new ThreadPoolExecutor(WRITER_THREADS, WRITER_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon("streamable-mongoredis-" + instance + "-append"));
        writerPool.allowCoreThreadTimeOut(true);
        this.writers = writerPool;
        this.timers = Executors.newSingleThreadScheduledExecutor(daemon("streamable-mongoredis-" + instance + "-timer"));
        this.retentionSweeper = Executors.newSingleThreadScheduledExecutor(
                daemon("streamable-mongoredis-" + instance + "-retention"));
        this.publisher = Executors.newSingleThreadScheduledExecutor(daemon("streamable-mongoredis-" + instance + "-signal"));
        this.signals = settings.redis()
                .map(uri -> new RedisSignals(uri, settings.redisTls(), "streamable:" + settings.database() + ":",
                        settings.formats().prototypeSignals(), "streamable-mongoredis-" + instance + "-signals",
                        this::signal, this::signalAll))
                .orElse(null);
    }

    /** Connects and checks that MongoDB answers; Redis may come later. */
    static MongoRedisBackend open(MongoRedisSettings settings) {
        MongoClientSettings.Builder builder = MongoClientSettings.builder().applyConnectionString(settings.mongo());
        // the driver's 30 s default would make every append wait that long while MongoDB is down
        if (settings.mongo().getServerSelectionTimeout() == null) {
            builder.applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(5, TimeUnit.SECONDS));
        }
        if (settings.mongo().getConnectTimeout() == null) {
            builder.applyToSocketSettings(socket -> socket.connectTimeout(5, TimeUnit.SECONDS));
        }
        // without an operation timeout a frozen server (or a partition) makes every append wait forever
        if (settings.mongo().getTimeout() == null) {
            builder.timeout(DEFAULT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        // a cleared pool means the server restarted, failed over or was unreachable: what this
        // process cached about the heads may no longer hold
        List<Runnable> onPoolCleared = new CopyOnWriteArrayList<>();
        builder.applyToConnectionPoolSettings(pool -> pool.addConnectionPoolListener(new ConnectionPoolListener() {
            @Override
            public void connectionPoolCleared(ConnectionPoolClearedEvent event) {
                onPoolCleared.forEach(Runnable::run);
            }
        }));
        MongoClient client = MongoClients.create(builder.build());
        try {
            MongoDatabase admin = client.getDatabase("admin");
            admin.runCommand(new Document("ping", 1));
            checkWriteConcern(settings, admin);
        } catch (MongoException e) {
            client.close();
            throw unavailable(settings.masked(), "connecting", e);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        MongoRedisBackend backend = new MongoRedisBackend(settings, client, onPoolCleared);
        backend.start();
        return backend;
    }

    private void start() {
        long heartbeat = Math.max(100, settings.leaseTtl().toMillis() / 3);
        timers.scheduleWithFixedDelay(this::renewLeases, heartbeat, heartbeat, TimeUnit.MILLISECONDS);
        retentionSweeper.scheduleWithFixedDelay(this::enforceRetention, RETENTION_SWEEP_MILLIS, RETENTION_SWEEP_MILLIS,
                TimeUnit.MILLISECONDS);
        if (signals != null) {
            signals.start();
            timers.scheduleWithFixedDelay(signals::ping, RedisSignals.PING_INTERVAL_MILLIS,
                    RedisSignals.PING_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        }
        LOG.debug("Opened {}", settings.masked());
    }

    @Override
    public TopicStore topic(String name) {
        ensureOpen();
        requireCollectionName(name);
        return stores.computeIfAbsent(name, topic -> new MongoTopicStore(this, topic));
    }

    @Override
    public Set<String> listTopics() {
        ensureOpen();
        try {
            Set<String> names = new TreeSet<>();
            Set<String> shortened = new TreeSet<>();
            for (String name : database.listCollectionNames()) {
                if (name.equals(PROTOTYPE_COUNTERS) && !holdsPositions(name)) {
                    continue; // the TypeScript prototype's id counters (string ids), not a topic
                }
                if (TopicName.isValid(name)) {
                    names.add(name); // internal topics (__schemas.x) and bookkeeping fail this
                } else if (name.contains(SHORTENED_MARK) && !TopicName.isInternal(name)) {
                    shortened.add(name);
                }
            }
            if (!shortened.isEmpty()) {
                for (Document mapping : database.getCollection(TOPICS).find(Filters.in("_id", shortened))) {
                    names.add(mapping.getString("topic"));
                }
            }
            return names;
        } catch (MongoException e) {
            throw unavailable("listing topics", e);
        }
    }

    /** Whether a collection holds a document with a numeric id: a topic's, not the prototype's counters. */
    private boolean holdsPositions(String collection) {
        return database.getCollection(collection).find(Filters.gt("_id", 0L)).projection(Projections.include("_id"))
                .limit(1).first() != null;
    }

    /**
     * Deletes the topic and its schema topic: their collections, positions, and documents in
     * {@value #TOPICS} (long-name mappings and slot counts, so a topic created again may be split
     * differently); lease documents are released, not deleted, so epochs keep growing.
     */
    @Override
    public void deleteTopic(String name) {
        ensureOpen();
        TopicName.requireValid(name);
        for (String topic : List.of(TopicName.schemaTopicOf(name), name)) {
            requireCollectionName(topic);
            ((MongoTopicStore) topic(topic)).delete();
            database.getCollection(TOPICS).deleteOne(Filters.eq("_id", collectionNameFor(topic)));
        }
    }

    @Override
    public String describe() {
        return settings.masked();
    }

    /** Marks a shortened collection name; '~' never occurs in a topic name. */
    private static final String SHORTENED_MARK = "~";

    /**
     * The collection holding a topic: the topic's own name, or for names too long for a MongoDB
     * namespace a prefix of it plus a hash, recorded in {@value #TOPICS}.
     */
    String collectionNameFor(String topic) {
        int room = MAX_NAMESPACE - settings.database().length() - 1;
        if (topic.length() <= room) {
            return topic;
        }
        String hash = sha256(topic).substring(0, 16);
        return topic.substring(0, Math.max(1, room - hash.length() - 1)) + SHORTENED_MARK + hash;
    }

    /** Records which topic a shortened collection holds, so listTopics can name it. */
    void recordLongName(String collection, String topic) {
        database.getCollection(TOPICS).updateOne(Filters.eq("_id", collection),
                Updates.set("topic", topic), new UpdateOptions().upsert(true));
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The topics' database, for {@link PrototypeMigration}. */
    MongoDatabase database() {
        return database;
    }

    MongoCollection<Document> collection(String name) {
        return database.getCollection(name);
    }

    /** The topics' documents ({@value #TOPICS}): long-name mappings and slot counts. */
    MongoCollection<Document> topicDocuments() {
        return database.getCollection(TOPICS);
    }

    MongoCollection<Document> positions() {
        ensureBookkeepingIndexes();
        return database.getCollection(POSITIONS);
    }

    MongoCollection<Document> retentionDocuments() {
        return database.getCollection(RETENTION).withWriteConcern(writeConcern())
                .withReadPreference(com.mongodb.ReadPreference.primary());
    }

    /**
     * Applies the retention of every topic this connection has opened; every connection does, the
     * removal is idempotent. Topics without retention cost one point read per sweep.
     */
    private void enforceRetention() {
        for (MongoTopicStore store : stores.values()) {
            try {
                store.retentionPolicy().enforce();
            } catch (RuntimeException e) {
                LOG.debug("Applying the retention of topic \"{}\" failed; retrying at the next sweep", store.name(), e);
            }
        }
    }

    MongoCollection<Document> leases() {
        return database.getCollection(LEASES);
    }

    /** Consumer group documents ({@link MongoGroups}). */
    MongoCollection<Document> groups() {
        ensureBookkeepingIndexes();
        return database.getCollection(MongoGroups.GROUPS);
    }

    /** Appends, positions and leases are written with it: majority unless the URL sets {@code w}. */
    WriteConcern writeConcern() {
        return writeConcern;
    }

    /** Readers query with it: majority unless the URL sets {@code readConcernLevel}. */
    ReadConcern readConcern() {
        return readConcern;
    }

    /** Runs {@code action} whenever the driver clears its connection pool. */
    void onPoolCleared(Runnable action) {
        onPoolCleared.add(action);
    }

    /**
     * Refuses the server's default write concern being stronger than ours: a server whose
     * operators chose majority must not receive {@code w=1} writes from us.
     */
    private static void checkWriteConcern(MongoRedisSettings settings, MongoDatabase admin) {
        Document defaults;
        try {
            defaults = admin.runCommand(new Document("getDefaultRWConcern", 1));
        } catch (MongoCommandException e) {
            return; // servers before 4.4 (and the test server) have no cluster-wide default
        }
        Object configured = settings.writeConcern().getWObject();
        Document serverDefault = defaults.get("defaultWriteConcern", Document.class);
        Object serverW = serverDefault == null ? null : serverDefault.get("w");
        if (serverW != null && configured instanceof Integer w && (serverW.equals("majority")
                || serverW instanceof Number n && n.intValue() > w)) {
            throw new IllegalArgumentException("Invalid mongoredis URL " + settings.masked() + ": w=" + w
                    + " is weaker than the server's default write concern (w=" + serverW + "); acknowledged appends"
                    + " could be rolled back. Remove the w option (this backend writes with w=majority).");
        }
    }

    /**
     * Whether an append of {@code records} may be queued; the failure to return at once otherwise:
     * MongoDB was found unreachable a moment ago, or too many records wait already.
     */
    RuntimeException admit(String topic, int records) {
        RuntimeException down = knownDown(topic);
        if (down != null) {
            return down;
        }
        int before = pendingRecords.getAndAdd(records);
        if (before > 0 && before + records > MAX_PENDING_RECORDS) {
            pendingRecords.addAndGet(-records);
            return new BackendUnavailableException("MongoDB is not keeping up with the appends of this connection ("
                    + settings.masked() + "): " + before + " records wait to be written, the most allowed is "
                    + MAX_PENDING_RECORDS + "; the append to topic \"" + topic + "\" was not stored. Wait for earlier"
                    + " appends to complete before appending more.", null);
        }
        return null;
    }

    /** An admitted append completed. */
    void release(int records) {
        pendingRecords.addAndGet(-records);
    }

    /** The failure for an append while MongoDB is known to be unreachable, else null. */
    RuntimeException knownDown(String topic) {
        RuntimeException cause = downCause;
        if (cause == null || System.nanoTime() - downUntilNanos >= 0) {
            return null;
        }
        return new BackendUnavailableException("MongoDB was unreachable at the last write of this connection ("
                + BackendUrl.mask(cause.getMessage()) + "); the append to topic \"" + topic + "\" was not stored."
                + " Retry it; appends are tried again every " + TimeUnit.NANOSECONDS.toMillis(DOWN_PROBE_NANOS)
                + " ms.", cause);
    }

    /** A write found MongoDB unreachable: fail appends at once for a moment instead of queueing them. */
    void markDown(RuntimeException cause) {
        downUntilNanos = System.nanoTime() + DOWN_PROBE_NANOS;
        downCause = cause;
    }

    /** A write succeeded. */
    void markUp() {
        if (downCause != null) {
            downCause = null;
        }
    }

    /**
     * Refuses a sharded topic collection: {@code _id} is unique per shard only there, so two
     * appends could take one position. Looks at {@code config.collections} (present on mongos and
     * on shard servers); where that cannot be read, at {@code collStats}' {@code sharded} flag.
     */
    void refuseSharded(String collectionName, String topic) {
        String namespace = settings.database() + "." + collectionName;
        boolean sharded;
        try {
            Document entry = client.getDatabase("config").getCollection("collections")
                    .find(Filters.eq("_id", namespace)).first();
            sharded = entry != null && !Boolean.TRUE.equals(entry.get("dropped"));
        } catch (MongoException unreadable) {
            try {
                sharded = Boolean.TRUE.equals(database.runCommand(new Document("collStats", collectionName)).get("sharded"));
            } catch (MongoException noStats) {
                sharded = false; // a collection not created yet has no stats, and cannot be sharded
            }
        }
        if (sharded) {
            throw new StreamableException("The collection \"" + namespace + "\" of topic \"" + topic + "\" is sharded;"
                    + " the mongoredis backend cannot use it: _id is unique per shard only, so two appends could be"
                    + " given one position. Unshard it (or use an unsharded database) and keep topic collections"
                    + " unsharded.");
        }
    }

    ExecutorService writers() {
        return writers;
    }

    private void ensureBookkeepingIndexes() {
        if (bookkeepingIndexed.get()) {
            return;
        }
        // createIndex is idempotent; run it once per backend, again after a failure
        database.getCollection(POSITIONS).createIndex(Indexes.ascending("topic"));
        database.getCollection(MongoGroups.GROUPS).createIndex(Indexes.ascending("topic"));
        bookkeepingIndexed.set(true);
    }

    /** After a durable append: wake this process's readers at once, and everyone else's through Redis. */
    void appended(String topic, long head) {
        signal(topic, head);
        if (signals != null && pendingSignals.put(topic, head) == null) {
            Long last = lastPublished.get(topic);
            long delay = last == null ? 0 : Math.max(0, last + MIN_SIGNAL_INTERVAL_NANOS - System.nanoTime());
            try {
                publisher.schedule(() -> {
                    Long newest = pendingSignals.remove(topic);
                    if (newest != null) {
                        lastPublished.put(topic, System.nanoTime());
                        signals.publish(topic, newest);
                    }
                }, delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closing) {
                pendingSignals.remove(topic); // the backend is closing: other processes' safety polls cover it
            }
        }
    }

    /** Whether JSON-object payloads are stored as embedded documents ({@code payloads=bson}, the default). */
    boolean bsonPayloads() {
        return settings.formats().bsonPayloads();
    }

    /**
     * With {@code prototypeSignals=true}: raises the TypeScript prototype's counter for a
     * collection ({@code nextids: {_id: <collection>, seq}}) to at least {@code head}, so a prototype
     * producer's next {@code $inc} claims an id above every id this backend wrote. Never lowers it
     * ({@code $max}); an Int32 while the id fits, as the prototype writes it. Without the option the
     * counter collection is never touched.
     */
    void advancePrototypeCounter(String collection, long head) {
        if (!settings.formats().prototypeSignals() || TopicName.isInternal(collection)) {
            return;
        }
        Object seq = head <= Integer.MAX_VALUE ? (Object) (int) head : (Object) head;
        database.getCollection(PROTOTYPE_COUNTERS).updateOne(Filters.eq("_id", collection), Updates.max("seq", seq),
                new UpdateOptions().upsert(true));
    }

    /** Whether the Redis subscription is established (false without Redis). */
    boolean signalsSubscribed() {
        return signals != null && signals.subscribed();
    }

    /** Whether Redis is configured but its subscription is not established now (signals may be lost). */
    boolean signalsDown() {
        return signals != null && !signals.subscribed();
    }

    void register(MongoTopicReader reader) {
        readers.add(reader);
    }

    void unregister(MongoTopicReader reader) {
        readers.remove(reader);
    }

    void register(MongoGroupReader member) {
        members.add(member);
    }

    void unregister(MongoGroupReader member) {
        members.remove(member);
    }

    /** Whether a reader or group member of this backend holds the name right now: then no need to wait for its lease. */
    boolean holdsLocally(String topic, String consumerName) {
        if (holdsExclusivelyLocally(topic, consumerName)) {
            return true;
        }
        for (MongoGroupReader member : members) {
            if (member.isMemberOf(topic, consumerName)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an exclusive reader of this backend holds the name right now. */
    boolean holdsExclusivelyLocally(String topic, String consumerName) {
        for (MongoTopicReader reader : readers) {
            if (reader.isNamed(topic, consumerName)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A consumer group changed (a join, a leave, a slot freed, a new assignment): wake this
     * process's members at once and everyone else's through Redis, on the channel of the group's
     * key ({@code topic/name}, never a topic name since topic names hold no '/').
     */
    void groupChanged(String groupKey) {
        appended(groupKey, 0);
    }

    /**
     * Test hook: acts as if this connection's process were paused, so none of its readers and group
     * members renews its lease any more (those opened later neither).
     */
    void suspendOwnership() {
        suspended = true;
    }

    boolean isSuspended() {
        return suspended;
    }

    /** A signal for {@code topic} naming its head ({@code <= 0}: none named). */
    private void signal(String topic, long head) {
        for (MongoTopicReader reader : readers) {
            if (reader.topic().equals(topic)) {
                reader.signal(head);
            }
        }
        for (MongoGroupReader member : members) {
            if (member.topic().equals(topic)) {
                member.signal();
            } else if (member.groupKey().equals(topic)) {
                member.groupSignal();
            }
        }
    }

    /** After (re)subscribing, signals sent during the gap are lost: let every reader look once. */
    private void signalAll() {
        readers.forEach(MongoTopicReader::signal);
        members.forEach(member -> {
            member.signal();
            member.groupSignal();
        });
    }

    private void renewLeases() {
        for (MongoTopicReader reader : readers) {
            try {
                reader.renewLease();
            } catch (RuntimeException e) {
                LOG.debug("Renewing the lease of {} failed; retrying at the next heartbeat", reader, e);
            }
        }
        for (MongoGroupReader member : members) {
            try {
                member.heartbeat();
            } catch (RuntimeException e) {
                LOG.debug("Renewing the lease of {} failed; retrying at the next heartbeat", member, e);
            }
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The mongoredis backend " + settings.masked() + " is closed");
        }
    }

    /**
     * Whether a MongoDB failure is an outage (worth retrying: network, timeouts, elections,
     * shutdowns) rather than a permanent refusal (permissions, bad data, unsupported operations).
     */
    static boolean isUnavailable(MongoException e) {
        if (e instanceof MongoSocketException || e instanceof MongoTimeoutException
                || e instanceof MongoNotPrimaryException || e instanceof MongoNodeIsRecoveringException
                || e.hasErrorLabel("RetryableWriteError") || e.hasErrorLabel("TransientTransactionError")
                || e.hasErrorLabel("SystemOverloadedError")) {
            return true;
        }
        // a client-side state problem (for example the pool cleared under a read) heals on retry,
        // and so does an interrupted wait
        return TRANSIENT_CODES.contains(e.getCode()) || e instanceof MongoClientException
                || e instanceof MongoInterruptedException;
    }

    /** Server error codes of outages: network, shutdown, elections, time limits, majority not yet available. */
    private static final Set<Integer> TRANSIENT_CODES = Set.of(6, 7, 50, 89, 91, 134, 189, 262, 9001, 10107, 11600,
            11602, 13435, 13436, 64, 100);

    /** A permanent refusal by MongoDB: reported once, not retried. */
    StreamableException refused(String what, MongoException cause) {
        return new StreamableException("MongoDB refused " + what + " (" + settings.masked() + "): "
                + BackendUrl.mask(cause.getMessage()) + ". This is not an outage, so it is not retried: check the"
                + " user's permissions and the topic's collection.", cause);
    }

    /** An outage ({@link BackendUnavailableException}, retried) or a permanent refusal (not retried). */
    RuntimeException failure(String what, MongoException cause) {
        return isUnavailable(cause) ? unavailable(what, cause) : refused(what, cause);
    }

    BackendUnavailableException unavailable(String what, Exception cause) {
        return unavailable(settings.masked(), what, cause);
    }

    static BackendUnavailableException unavailable(String masked, String what, Exception cause) {
        return new BackendUnavailableException("MongoDB is unavailable while " + what + " (" + masked + "): "
                + BackendUrl.mask(cause.getMessage()) + ". Check that the server runs and the URL is right;"
                + " consumers retry by themselves, producers may retry the append.", cause);
    }

    /**
     * Collection names are topic names (user topics, or framework-internal ones such as
     * {@code __schemas.orders}); this repeats the MongoDB-specific rules as a last guard.
     */
    static String requireCollectionName(String name) {
        TopicName.requireStorable(name);
        if (name.contains("$") || name.startsWith("system.") || name.contains("\0")) {
            throw new IllegalArgumentException("Topic name \"" + name + "\" cannot be a MongoDB collection name:"
                    + " it must not contain '$' or start with \"system.\"");
        }
        return name;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // readers first: they release their leases while MongoDB is still reachable
        for (MongoTopicReader reader : readers) {
            try {
                reader.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", reader, e);
            }
        }
        for (MongoGroupReader member : members) {
            try {
                member.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing {} failed", member, e);
            }
        }
        timers.shutdownNow();
        retentionSweeper.shutdownNow();
        writers.shutdown();
        try {
            if (!writers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("Appends to {} still running after 10 s; closing anyway", settings.masked());
                writers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            writers.shutdownNow();
        }
        stores.values().forEach(MongoTopicStore::failPending);
        publisher.shutdown();
        try {
            // let the last appends' signals go out before the connection closes
            if (!publisher.awaitTermination(2, TimeUnit.SECONDS)) {
                publisher.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            publisher.shutdownNow();
        }
        if (signals != null) {
            signals.close();
        }
        client.close();
        LOG.debug("Closed {}", settings.masked());
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public String toString() {
        return "MongoRedisBackend[" + settings.masked() + "]";
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
