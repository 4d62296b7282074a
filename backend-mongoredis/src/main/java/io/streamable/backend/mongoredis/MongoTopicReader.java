package io.streamable.backend.mongoredis;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCursorNotFoundException;
import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import io.streamable.Position;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads a topic in {@code _id} order. It keeps one cursor open while it is behind, so catching up
 * is one query streamed in batches, and closes it at the head. At the head it waits for a signal
 * (Redis, or an append of this process), looking at MongoDB without one only every safety poll.
 *
 * <h2>Named readers and their lease</h2>
 * A named reader holds a lease document (owner, expiry) renewed by the backend's heartbeat every
 * third of {@code leaseTtl}. Opening a name whose lease is held waits until the lease either
 * expires (its holder crashed: the name is taken over) or is renewed (its holder lives:
 * {@link io.streamable.consume.ConsumerNameInUseException}), so at most about {@code leaseTtl}.
 * A name held by a reader of the same backend is refused at once.
 */
final class MongoTopicReader implements TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(MongoTopicReader.class);
    private static final int MAX_CURSOR_BATCH = 1000;

    private final MongoRedisBackend backend;
    private final MongoTopicStore store;
    private final Optional<String> consumerName;
    private final String owner;
    private final Optional<Position> startPosition;
    private final long safetyPollNanos;
    private final Object monitor = new Object();
    private final ReentrantLock fetchLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    // guarded by monitor
    private boolean signalled = true;
    private boolean wokenUp;
    private long lastFetchNanos = System.nanoTime();

    // touched under fetchLock
    private long last;
    private MongoCursor<Document> cursor;

    private volatile boolean leaseLost;

    static MongoTopicReader open(MongoRedisBackend backend, MongoTopicStore store, ReaderSpec spec) {
        Objects.requireNonNull(spec, "spec");
        String owner = UUID.randomUUID().toString();
        Optional<String> name = spec.consumerName();
        try {
            store.ensureIndexes();
            if (name.isPresent()) {
                acquireLease(backend, store, name.get(), owner);
            }
            try {
                Optional<Position> start = name.flatMap(store::savedPosition);
                if (start.isEmpty()) {
                    if (spec.start() instanceof StartFrom.After after) {
                        start = Optional.of(Position.of(store.offsetOf(after.position())));
                    } else if (spec.start() instanceof StartFrom.Latest) {
                        long head = store.maxId();
                        start = head == 0 ? Optional.empty() : Optional.of(Position.of(head));
                    }
                }
                MongoTopicReader reader = new MongoTopicReader(backend, store, name,
                        start.map(Position::offset).orElse(0L), start, owner);
                backend.register(reader);
                return reader;
            } catch (RuntimeException e) {
                name.ifPresent(n -> releaseLease(backend, store, n, owner));
                throw e;
            }
        } catch (MongoException e) {
            throw backend.unavailable("opening a reader on topic \"" + store.name() + "\"", e);
        }
    }

    private MongoTopicReader(MongoRedisBackend backend, MongoTopicStore store, Optional<String> consumerName,
                             long last, Optional<Position> startPosition, String owner) {
        this.backend = backend;
        this.store = store;
        this.consumerName = consumerName;
        this.last = last;
        this.startPosition = startPosition;
        this.safetyPollNanos = backend.settings.safetyPoll().toNanos();
        this.owner = owner;
    }

    // ---------------------------------------------------------------- reading

    @Override
    public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        while (true) {
            if (closed.get()) {
                // not an empty batch: a caller looping on read() would spin
                throw new IllegalStateException("This " + this + " is closed (its backend "
                        + backend.describe() + " may have been closed); open a new reader");
            }
            if (leaseLost) {
                throw MongoTopicStore.leaseLost(store.name(), consumerName.orElse(""));
            }
            synchronized (monitor) {
                if (wokenUp) {
                    wokenUp = false;
                    return new ReadBatch(List.of(), false);
                }
                long now = System.nanoTime();
                boolean due = signalled || cursor != null || now - lastFetchNanos >= safetyPollNanos;
                if (!due) {
                    if (now - deadline >= 0) {
                        return ReadBatch.empty();
                    }
                    long until = Math.min(deadline - now, lastFetchNanos + safetyPollNanos - now);
                    TimeUnit.NANOSECONDS.timedWait(monitor, Math.max(until, 1));
                    continue;
                }
                // cleared before fetching: a signal arriving during the fetch makes the next round fetch again
                signalled = false;
                lastFetchNanos = now;
            }
            ReadBatch batch = fetch(max);
            if (!batch.records().isEmpty() || !batch.caughtUp()) {
                return batch;
            }
        }
    }

    private ReadBatch fetch(int max) throws InterruptedException {
        fetchLock.lock();
        try {
            if (closed.get()) {
                return new ReadBatch(List.of(), false);
            }
            List<StoredRecord> records = new ArrayList<>(Math.min(max, MAX_CURSOR_BATCH));
            try {
                if (cursor == null) {
                    cursor = query(max);
                }
                while (records.size() < max && cursor.hasNext()) {
                    records.add(MongoTopicStore.toRecord(cursor.next()));
                }
            } catch (MongoInterruptedException e) {
                closeCursor();
                if (!records.isEmpty()) {
                    last = records.get(records.size() - 1).position().offset();
                    Thread.currentThread().interrupt();
                    return new ReadBatch(records, false);
                }
                InterruptedException interrupted = new InterruptedException("Interrupted while reading topic \""
                        + store.name() + "\"");
                interrupted.initCause(e);
                throw interrupted;
            } catch (MongoCursorNotFoundException e) {
                // the server dropped an idle cursor (a slow handler): query again from where we are
                closeCursor();
                if (!records.isEmpty()) {
                    last = records.get(records.size() - 1).position().offset();
                }
                return new ReadBatch(records, false);
            } catch (MongoException e) {
                closeCursor();
                if (!records.isEmpty()) {
                    last = records.get(records.size() - 1).position().offset();
                }
                synchronized (monitor) {
                    signalled = true;
                }
                if (!records.isEmpty()) {
                    return new ReadBatch(records, false);
                }
                throw backend.unavailable("reading topic \"" + store.name() + "\"", e);
            }
            boolean caughtUp = records.size() < max;
            if (caughtUp) {
                closeCursor();
            }
            if (!records.isEmpty()) {
                last = records.get(records.size() - 1).position().offset();
            }
            return new ReadBatch(records, caughtUp);
        } finally {
            if (closed.get()) {
                closeCursor(); // close() ran while we fetched and left the cursor to us
            }
            fetchLock.unlock();
        }
    }

    private MongoCursor<Document> query(int max) {
        MongoCollection<Document> collection = store.collection();
        return collection.find(Filters.gt(MongoTopicStore.ID, last)).sort(Sorts.ascending(MongoTopicStore.ID))
                .batchSize(Math.min(max, MAX_CURSOR_BATCH)).cursor();
    }

    private void closeCursor() {
        if (cursor != null) {
            try {
                cursor.close();
            } catch (RuntimeException ignored) {
                // the server may be gone; the cursor dies with the connection
            }
            cursor = null;
        }
    }

    /** A signal for this reader's topic arrived: the next wait ends and the reader fetches. */
    void signal() {
        synchronized (monitor) {
            signalled = true;
            monitor.notifyAll();
        }
    }

    @Override
    public void wakeup() {
        synchronized (monitor) {
            wokenUp = true;
            monitor.notifyAll();
        }
    }

    @Override
    public Optional<Position> startPosition() {
        return startPosition;
    }

    String topic() {
        return store.name();
    }

    boolean isNamed(String topic, String name) {
        return !closed.get() && store.name().equals(topic) && consumerName.filter(name::equals).isPresent();
    }

    // ---------------------------------------------------------------- positions

    @Override
    public void commit(Position consumed) {
        if (consumerName.isEmpty()) {
            return;
        }
        long offset = store.offsetOf(consumed);
        String name = consumerName.get();
        // the final save on close often runs on a thread that close() has just interrupted to stop
        // a stuck handler; the driver would refuse to work on it, and the position would be lost
        boolean interrupted = Thread.interrupted();
        try {
            backend.positions().updateOne(Filters.eq(MongoTopicStore.ID, store.positionKey(name)),
                    Updates.combine(Updates.max("offset", offset), Updates.set("topic", store.name()),
                            Updates.set("consumer", name)),
                    new UpdateOptions().upsert(true));
        } catch (MongoException e) {
            throw backend.unavailable("saving the position of consumer \"" + name + "\" on topic \""
                    + store.name() + "\"", e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- lease

    private static void acquireLease(MongoRedisBackend backend, MongoTopicStore store, String name, String owner) {
        if (backend.holdsLocally(store.name(), name)) {
            throw MongoTopicStore.nameInUse(store.name(), name);
        }
        MongoCollection<Document> leases = backend.leases();
        String key = store.positionKey(name);
        long ttl = backend.settings.leaseTtl().toMillis();
        long giveUpAt = System.currentTimeMillis() + ttl + ttl / 2;
        long pollMillis = Math.max(20, Math.min(250, ttl / 10));
        Date observedExpiry = null;
        while (true) {
            long now = System.currentTimeMillis();
            Date expiry = new Date(now + ttl);
            try {
                leases.insertOne(new Document(MongoTopicStore.ID, key).append("topic", store.name())
                        .append("consumer", name).append("owner", owner).append("expiresAt", expiry));
                return;
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
            }
            UpdateResult takeover = leases.updateOne(
                    Filters.and(Filters.eq(MongoTopicStore.ID, key), Filters.lt("expiresAt", new Date(now))),
                    Updates.combine(Updates.set("owner", owner), Updates.set("expiresAt", expiry)));
            if (takeover.getModifiedCount() == 1) {
                LOG.info("Consumer \"{}\" of topic \"{}\" took over an expired lease (its previous holder stopped"
                        + " without closing)", name, store.name());
                return;
            }
            Document held = leases.find(Filters.eq(MongoTopicStore.ID, key)).first();
            if (held == null) {
                continue; // released meanwhile: insert again
            }
            Date heldUntil = held.getDate("expiresAt");
            if (observedExpiry != null && heldUntil != null && heldUntil.after(observedExpiry)) {
                throw MongoTopicStore.nameInUse(store.name(), name); // renewed: its holder is alive
            }
            observedExpiry = heldUntil;
            if (now >= giveUpAt) {
                throw MongoTopicStore.nameInUse(store.name(), name);
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new io.streamable.StreamableException("Interrupted while waiting for the lease of consumer \""
                        + name + "\" on topic \"" + store.name() + "\"", e);
            }
        }
    }

    /** Called by the backend's heartbeat. */
    void renewLease() {
        if (consumerName.isEmpty() || closed.get() || leaseLost) {
            return;
        }
        long now = System.currentTimeMillis();
        UpdateResult renewed = backend.leases().updateOne(
                Filters.and(Filters.eq(MongoTopicStore.ID, store.positionKey(consumerName.get())),
                        Filters.eq("owner", owner)),
                Updates.set("expiresAt", new Date(now + backend.settings.leaseTtl().toMillis())));
        if (renewed.getMatchedCount() == 0 && !closed.get()) {
            leaseLost = true;
            LOG.warn("Consumer \"{}\" of topic \"{}\" lost its lease; it stops", consumerName.get(), store.name());
            wakeup();
        }
    }

    private static void releaseLease(MongoRedisBackend backend, MongoTopicStore store, String name, String owner) {
        boolean interrupted = Thread.interrupted(); // as in commit(): close() runs on interrupted threads
        try {
            backend.leases().deleteOne(Filters.and(Filters.eq(MongoTopicStore.ID, store.positionKey(name)),
                    Filters.eq("owner", owner)));
        } catch (MongoException e) {
            LOG.warn("Could not release the lease of consumer \"{}\" on topic \"{}\" ({}); it expires by itself",
                    name, store.name(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        backend.unregister(this);
        synchronized (monitor) {
            monitor.notifyAll();
        }
        // a read in progress closes nothing under our feet: it sees `closed` and returns
        if (fetchLock.tryLock()) {
            try {
                closeCursor();
            } finally {
                fetchLock.unlock();
            }
        }
        if (consumerName.isPresent() && !leaseLost) {
            releaseLease(backend, store, consumerName.get(), owner);
        }
    }

    @Override
    public String toString() {
        return "reader of topic \"" + store.name() + "\"" + consumerName.map(n -> " as \"" + n + "\"").orElse("");
    }
}
