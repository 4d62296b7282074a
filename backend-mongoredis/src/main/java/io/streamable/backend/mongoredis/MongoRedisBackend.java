package io.streamable.backend.mongoredis;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
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
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
    /** Topics whose name is too long for a collection name: collection name to topic name. */
    static final String LONG_NAMES = "_streamable.topics";
    /**
     * The longest namespace ({@code database.collection}) used as is. MongoDB 4.4+ allows 255 bytes
     * (235 when sharded), older servers and mongo-java-server 120-128: longer topic names get a
     * shortened collection name, so a 200-character topic name works everywhere.
     */
    static final int MAX_NAMESPACE = 120;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    final MongoRedisSettings settings;
    final String instanceId = UUID.randomUUID().toString();
    private final MongoClient client;
    private final MongoDatabase database;
    private final RedisSignals signals;
    private final ExecutorService writers;
    private final ScheduledExecutorService timers;
    /**
     * Publishes wake-up signals off the append path, so a slow or unreachable Redis never holds
     * up the writer; signals for one topic coalesce to the newest head while one is pending.
     */
    private final ExecutorService publisher;
    private final Map<String, Long> pendingSignals = new ConcurrentHashMap<>();
    private final Map<String, MongoTopicStore> stores = new ConcurrentHashMap<>();
    private final Set<MongoTopicReader> readers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean bookkeepingIndexed = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private MongoRedisBackend(MongoRedisSettings settings, MongoClient client) {
        this.settings = settings;
        this.client = client;
        this.database = client.getDatabase(settings.database());
        int instance = INSTANCES.incrementAndGet();
        this.writers = Executors.newCachedThreadPool(daemon("streamable-mongoredis-" + instance + "-append"));
        this.timers = Executors.newSingleThreadScheduledExecutor(daemon("streamable-mongoredis-" + instance + "-timer"));
        this.publisher = Executors.newSingleThreadExecutor(daemon("streamable-mongoredis-" + instance + "-signal"));
        this.signals = settings.redis()
                .map(uri -> new RedisSignals(uri, settings.redisTls(), "streamable:" + settings.database() + ":",
                        "streamable-mongoredis-" + instance + "-signals", this::signal, this::signalAll))
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
        MongoClient client = MongoClients.create(builder.build());
        try {
            client.getDatabase(settings.database()).runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            client.close();
            throw unavailable(settings.masked(), "connecting", e);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        MongoRedisBackend backend = new MongoRedisBackend(settings, client);
        backend.start();
        return backend;
    }

    private void start() {
        long heartbeat = Math.max(100, settings.leaseTtl().toMillis() / 3);
        timers.scheduleWithFixedDelay(this::renewLeases, heartbeat, heartbeat, TimeUnit.MILLISECONDS);
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
                if (TopicName.isValid(name)) {
                    names.add(name); // internal topics (__schemas.x) and bookkeeping fail this
                } else if (name.contains(SHORTENED_MARK) && !TopicName.isInternal(name)) {
                    shortened.add(name);
                }
            }
            if (!shortened.isEmpty()) {
                for (Document mapping : database.getCollection(LONG_NAMES).find(Filters.in("_id", shortened))) {
                    names.add(mapping.getString("topic"));
                }
            }
            return names;
        } catch (MongoException e) {
            throw unavailable("listing topics", e);
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
     * namespace a prefix of it plus a hash, recorded in {@value #LONG_NAMES}.
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
        database.getCollection(LONG_NAMES).updateOne(Filters.eq("_id", collection),
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

    MongoCollection<Document> collection(String name) {
        return database.getCollection(name);
    }

    MongoCollection<Document> positions() {
        ensureBookkeepingIndexes();
        return database.getCollection(POSITIONS);
    }

    MongoCollection<Document> leases() {
        return database.getCollection(LEASES);
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
        bookkeepingIndexed.set(true);
    }

    /** After a durable append: wake this process's readers at once, and everyone else's through Redis. */
    void appended(String topic, long head) {
        signal(topic);
        if (signals != null && pendingSignals.put(topic, head) == null) {
            try {
                publisher.execute(() -> {
                    Long newest = pendingSignals.remove(topic);
                    if (newest != null) {
                        signals.publish(topic, newest);
                    }
                });
            } catch (RejectedExecutionException closing) {
                pendingSignals.remove(topic); // the backend is closing: other processes' safety polls cover it
            }
        }
    }

    /** Whether the Redis subscription is established (false without Redis). */
    boolean signalsSubscribed() {
        return signals != null && signals.subscribed();
    }

    void register(MongoTopicReader reader) {
        readers.add(reader);
    }

    void unregister(MongoTopicReader reader) {
        readers.remove(reader);
    }

    /** Whether a reader of this backend holds the name right now: then no need to wait for its lease. */
    boolean holdsLocally(String topic, String consumerName) {
        for (MongoTopicReader reader : readers) {
            if (reader.isNamed(topic, consumerName)) {
                return true;
            }
        }
        return false;
    }

    private void signal(String topic) {
        for (MongoTopicReader reader : readers) {
            if (reader.topic().equals(topic)) {
                reader.signal();
            }
        }
    }

    /** After (re)subscribing, signals sent during the gap are lost: let every reader look once. */
    private void signalAll() {
        readers.forEach(MongoTopicReader::signal);
    }

    private void renewLeases() {
        for (MongoTopicReader reader : readers) {
            try {
                reader.renewLease();
            } catch (RuntimeException e) {
                LOG.debug("Renewing the lease of {} failed; retrying at the next heartbeat", reader, e);
            }
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The mongoredis backend " + settings.masked() + " is closed");
        }
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
        timers.shutdownNow();
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
