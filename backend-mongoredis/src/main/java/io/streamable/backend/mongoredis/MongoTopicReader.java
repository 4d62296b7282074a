package io.streamable.backend.mongoredis;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reads a topic in {@code _id} order. It keeps one cursor open while it is behind, so catching up
 * is one query streamed in batches, and closes it at the head. At the head it waits for a signal
 * (Redis, or an append of this process), looking at MongoDB without one only every safety poll.
 *
 * <h2>Checking that storage kept what was read</h2>
 * Ids are dense and never freed (see {@link MongoTopicStore}), so every query starts <em>at</em>
 * the last id returned ({@code _id >= last}) and expects it back first, then the ids right after
 * it; compacted stubs are read (they are small) to see the ids continue, and skipped. A position
 * already returned that is gone, or a gap, is storage losing data: after a short grace (a stand-in
 * server may show concurrent inserts out of order) the reader throws a {@link StreamableException}
 * saying so, instead of skipping or handing out old positions' new contents.
 *
 * <p>Except below the topic's low-water mark ({@link MongoRetention}): when ids are missing the
 * reader reads the mark, and missing ids below it were removed by retention. It then resumes at
 * the mark and reports the positions it had not read ({@link #takeRetentionGaps()}); a reader
 * that started at the beginning and has returned nothing yet takes the mark as its beginning
 * without a report. Missing ids at or above the mark are data loss, as before.
 *
 * <h2>Named readers and their lease</h2>
 * A named reader holds a lease document {@code {owner, epoch, renewedAt, ttlMs}}: {@code renewedAt}
 * is the <em>server's</em> time ({@code $currentDate}) and a take-over compares it with the
 * server's {@code $$NOW} ({@code $expr}), so client clocks never matter. Every take-over increments
 * the epoch (lease documents are released, never deleted, so epochs only grow), and the reader
 * writes its epoch into its position document; every commit filters on owner and epoch, so a
 * fenced reader's commit matches nothing and throws {@link ConsumerFencedException}. The backend's
 * heartbeat renews the lease every third of {@code leaseTtl}; before returning records, a reader
 * whose last renewal is older than most of the TTL renews synchronously, so a holder that was
 * paused past its lease finds out before delivering anything more. Opening a name whose lease is
 * held waits until the lease either expires (its holder crashed: the name is taken over) or is
 * renewed (its holder lives: {@link io.streamable.consume.ConsumerNameInUseException}), so at most
 * about {@code leaseTtl}. A name held by a reader of the same backend is refused at once.
 */
final class MongoTopicReader implements TopicReader {
    private static final Logger LOG = LoggerFactory.getLogger(MongoTopicReader.class);
    /** How long a gap in the ids may last before it counts as lost data. */
    static final long GAP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long GAP_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * The safety poll while Redis is configured but its subscription is down (signals are being
     * lost): at most this, so an outage costs a consumer a quarter second, not the whole poll.
     */
    static final long DOWN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /**
     * A signal-driven look at the head asks for the ids {@code from..head} by {@code $in} when there
     * are at most this many: exact point lookups of the {@code _id} index on any server (the
     * stand-in otherwise scans the collection for a range). Further behind, the range cursor.
     */
    static final int MAX_POINT_IDS = 1000;
    private static final String OWNER = "owner";
    private static final String EPOCH = "epoch";
    private static final String RENEWED_AT = "renewedAt";
    private static final String TTL_MS = "ttlMs";
    /** Server-side: the lease's holder has not renewed within its own TTL, by the server's clock. */
    private static final Bson EXPIRED = new Document("$expr", new Document("$lt", List.of(
            new Document("$add", List.of("$" + RENEWED_AT, "$" + TTL_MS)), "$$NOW")));

    private final MongoRedisBackend backend;
    private final MongoTopicStore store;
    private final Optional<String> consumerName;
    private final String owner;
    private final long epoch;
    private final Optional<Position> startPosition;
    private final long safetyPollNanos;
    /** A lease renewed at local time t holds at least until t + TTL on the server; trust it for less. */
    private final long trustedLeaseNanos;
    private final Object monitor = new Object();
    private final ReentrantLock fetchLock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    // guarded by monitor
    private boolean signalled = true;
    /** The highest head the signals named; only meaningful while {@link #headUnknown} is false. */
    private long signalledHead;
    /** A signal since the last fetch named no head (a resubscription, a prototype or re-sent signal). */
    private boolean headUnknown = true;
    private boolean wokenUp;
    private long lastFetchNanos = System.nanoTime();

    // written under fetchLock; read by read() to see whether a signal's head lies beyond it
    private volatile long last;
    private boolean expectLast;
    private volatile long gapSinceNanos;
    /** The scan: one cursor while behind, closed at the head. */
    private final MongoScan documents;
    /** The last fetch found the ids not continuing (or {@link #last} gone). */
    private boolean gap;
    /** The id {@link #last} was removed by retention: the next query starts after it, not at it. */
    private boolean lastRemoved;
    /** Nothing returned yet by a reader started at the beginning: a removed prefix is its beginning. */
    private boolean atBeginning;
    private final List<RetentionGap> gaps = new ArrayList<>(0);

    private volatile ConsumerFencedException fenced;
    private volatile long renewedAtNanos;
    private volatile boolean suspended;

    static MongoTopicReader open(MongoRedisBackend backend, MongoTopicStore store, ReaderSpec spec) {
        Objects.requireNonNull(spec, "spec");
        String owner = UUID.randomUUID().toString();
        Optional<String> name = spec.consumerName();
        long requested = spec.start() instanceof StartFrom.After after ? store.offsetOf(after.position()) : 0;
        try {
            store.checkReadable();
            if (name.isEmpty()) {
                MongoTopicReader reader = new MongoTopicReader(backend, store, name, requested, owner, 0, 0);
                backend.register(reader);
                return reader;
            }
            long renewedAt = System.nanoTime();
            long epoch = acquireLease(backend, store, name.get(), owner);
            try {
                // a consumer group that held the name before: its members are fenced, and this reader
                // starts after what every slot has handled
                long groupStart = MongoGroups.seal(backend, store, name.get(), epoch);
                long start = Math.max(fencePosition(backend, store, name.get(), owner, epoch, requested), groupStart);
                MongoTopicReader reader = new MongoTopicReader(backend, store, name, start, owner, epoch, renewedAt);
                backend.register(reader);
                return reader;
            } catch (RuntimeException e) {
                releaseLease(backend, store, name.get(), owner, epoch);
                throw e;
            }
        } catch (MongoException e) {
            throw backend.failure("opening a reader on topic \"" + store.name() + "\"", e);
        }
    }

    private MongoTopicReader(MongoRedisBackend backend, MongoTopicStore store, Optional<String> consumerName,
                             long last, String owner, long epoch, long renewedAtNanos) {
        this.backend = backend;
        this.store = store;
        this.documents = new MongoScan(store);
        this.consumerName = consumerName;
        this.last = last;
        this.startPosition = last > 0 ? Optional.of(Position.of(last)) : Optional.empty();
        this.atBeginning = last == 0;
        this.safetyPollNanos = backend.settings.safetyPoll().toNanos();
        this.owner = owner;
        this.epoch = epoch;
        this.renewedAtNanos = renewedAtNanos;
        long ttl = backend.settings.leaseTtl().toNanos();
        this.trustedLeaseNanos = ttl - Math.max(ttl / 5, TimeUnit.MILLISECONDS.toNanos(50));
    }

    // ---------------------------------------------------------------- reading

    @Override
    public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1, got " + max);
        }
        long deadline = System.nanoTime() + Math.max(0, maxWait.toNanos());
        long head;
        while (true) {
            if (closed.get()) {
                // not an empty batch: a caller looping on read() would spin
                throw new IllegalStateException("This " + this + " is closed (its backend "
                        + backend.describe() + " may have been closed); open a new reader");
            }
            boolean owned = ensureOwned();
            synchronized (monitor) {
                if (wokenUp) {
                    wokenUp = false;
                    return new ReadBatch(List.of(), false);
                }
                long now = System.nanoTime();
                long poll = gapSinceNanos != 0 ? GAP_RETRY_NANOS : pollNanos();
                if (signalled && !headUnknown && signalledHead <= last && !documents.isOpen()) {
                    // every id the signals named was already returned (a wake-up that came while a fetch
                    // was reading it, or our own append's and Redis' signal for one head): no query
                    signalled = false;
                }
                boolean pollDue = now - lastFetchNanos >= poll;
                boolean due = owned && (signalled || documents.isOpen() || pollDue);
                if (!due) {
                    if (now - deadline >= 0) {
                        return owned ? ReadBatch.empty() : new ReadBatch(List.of(), false);
                    }
                    long until = Math.min(deadline - now, owned ? lastFetchNanos + poll - now : GAP_RETRY_NANOS);
                    // look again at least this often: the subscription may drop meanwhile (shorter poll)
                    TimeUnit.NANOSECONDS.timedWait(monitor, Math.max(Math.min(until, DOWN_POLL_NANOS), 1));
                    continue;
                }
                // a look driven by signals alone may stop at the head they named; a poll looks unbounded
                // (it covers lost signals)
                head = signalled && !headUnknown && !pollDue ? signalledHead : 0;
                // cleared before fetching: a signal arriving during the fetch makes the next round fetch again
                signalled = false;
                headUnknown = false;
                lastFetchNanos = now;
            }
            ReadBatch batch = fetch(max, head);
            if (!batch.records().isEmpty() || !batch.caughtUp()) {
                return batch;
            }
        }
    }

    /**
     * Whether this reader may deliver now: always for an anonymous one; for a named one when its
     * lease is known to hold. Throws once the name was taken over.
     */
    private boolean ensureOwned() {
        if (consumerName.isEmpty()) {
            return true;
        }
        ConsumerFencedException lost = fenced;
        if (lost != null) {
            throw lost;
        }
        if (System.nanoTime() - renewedAtNanos < trustedLeaseNanos) {
            return true;
        }
        // the heartbeat is late (a pause, a slow MongoDB): make sure before delivering more
        boolean renewed;
        try {
            renewed = renew();
        } catch (MongoException e) {
            throw backend.failure("renewing the lease of consumer \"" + consumerName.get() + "\" on topic \""
                    + store.name() + "\"", e);
        }
        if (fenced != null) {
            throw fenced;
        }
        return renewed;
    }

    /** The safety poll now: shorter while Redis is configured but not subscribed (signals are lost). */
    private long pollNanos() {
        return backend.signalsDown() ? Math.min(safetyPollNanos, DOWN_POLL_NANOS) : safetyPollNanos;
    }

    /**
     * Reads the next batch; {@code head > 0} is the head the signals named, so a new query may ask
     * for exactly the ids up to it (see {@link #filterFrom}).
     */
    private ReadBatch fetch(int max, long head) throws InterruptedException {
        fetchLock.lock();
        try {
            if (closed.get()) {
                return new ReadBatch(List.of(), false);
            }
            gap = false;
            MongoScan.Batch batch;
            try {
                if (!documents.isOpen()) {
                    expectLast = last > 0 && !lastRemoved;
                    documents.open(filterFrom(expectLast, head), max);
                }
                batch = documents.next(max, this::visit);
                if (batch.end() == MongoScan.End.EXHAUSTED && expectLast) {
                    // nothing at all from _id >= last: the position this reader stands on is gone
                    expectLast = false;
                    gap = true;
                    if (!skipRemovedPrefix(true)) {
                        checkGap(null, true);
                    }
                }
            } catch (InterruptedException e) {
                InterruptedException interrupted = new InterruptedException("Interrupted while reading topic \""
                        + store.name() + "\"");
                interrupted.initCause(e.getCause());
                throw interrupted;
            } catch (MongoException e) {
                lookAgain();
                if (!MongoRedisBackend.isUnavailable(e)) {
                    throw backend.refused("reading topic \"" + store.name() + "\"", e);
                }
                throw backend.unavailable("reading topic \"" + store.name() + "\"", e);
            }
            if (batch.end() == MongoScan.End.FAILED) {
                synchronized (monitor) {
                    lookAgain(); // read again at once; the failure shows then if it lasts
                }
            }
            if (!batch.records().isEmpty()) {
                atBeginning = false;
            }
            return new ReadBatch(batch.records(), batch.end() == MongoScan.End.EXHAUSTED && !gap);
        } finally {
            if (closed.get()) {
                documents.close(); // close() ran while we fetched and left the cursor to us
            }
            fetchLock.unlock();
        }
    }

    /**
     * The query for the ids from {@code from} on ({@code last} itself when {@code fromLast}, else
     * the one after it). With a signalled {@code head} at most
     * {@link #MAX_POINT_IDS} ids away it is {@code _id $in [from..head]}: the ids are dense, so
     * those are exactly the documents that can be there, and the query is point lookups of the
     * {@code _id} index (also on the stand-in, which scans the collection for any range; on MongoDB
     * both are index-backed). The checks are those of the range: {@link #visit} still expects
     * {@code from} (or {@code last}) first and each id after the previous one, so a claimed id not
     * yet visible is a gap waited for, never passed. Ids beyond {@code head} come with their own
     * signal (which makes the next round fetch again) or the safety poll. Otherwise the open range
     * {@code _id >= last} (or {@code > last}), the cursor that streams a catch-up.
     */
    private Bson filterFrom(boolean fromLast, long head) {
        long from = fromLast ? last : Math.max(0L, last) + 1;
        if (head >= from && head - from < MAX_POINT_IDS) {
            List<Long> ids = new ArrayList<>((int) (head - from + 1));
            for (long id = from; id <= head; id++) {
                ids.add(id);
            }
            return Filters.in(MongoTopicStore.ID, ids);
        }
        return fromLast ? Filters.gte(MongoTopicStore.ID, last) : Filters.gt(MongoTopicStore.ID, Math.max(0L, last));
    }

    /**
     * The ids must continue from {@code last}: the first document of a query from {@code _id >= last}
     * is {@code last} itself, then each is the one after. Stubs are passed, a gap stops the batch.
     * Under the fetch lock.
     */
    private MongoScan.Verdict visit(MongoScan.Scanned document) {
        long id = document.id();
        boolean lastMissing = expectLast;
        if (expectLast) {
            expectLast = false;
            if (id == last) {
                return MongoScan.Verdict.PASS; // still there: storage kept what this reader passed
            }
        }
        if (id != last + 1 || lastMissing) {
            gap = true;
            if (!skipRemovedPrefix(lastMissing)) {
                checkGap(document.rawId(), lastMissing);
            }
            return MongoScan.Verdict.STOP;
        }
        last = id;
        lastRemoved = false;
        gapSinceNanos = 0;
        return document.isStub() ? MongoScan.Verdict.PASS : MongoScan.Verdict.DELIVER;
    }

    /**
     * Ids are missing after {@code last} (or {@code last} itself is, {@code lastMissing}): if retention's low-water mark
     * lies above {@code last}, they were removed by retention, so the reader moves to just below
     * the mark, notes the positions it had not read, and returns true; the next fetch, due at once,
     * queries from the mark. False when the mark does not explain the hole.
     */
    private boolean skipRemovedPrefix(boolean lastMissing) {
        long low = store.retentionPolicy().lowWater();
        // a missing `last` is explained by any mark above it; a hole after it only by a mark above last + 1
        if (lastMissing ? low <= last : low <= last + 1) {
            return false;
        }
        long firstUnread = last + 1;
        if (low > firstUnread && !atBeginning) {
            gaps.add(new RetentionGap(store.name(), 0, firstUnread, low));
        }
        last = low - 1;
        lastRemoved = true;
        gapSinceNanos = 0;
        lookAgain();
        return true;
    }

    @Override
    public List<RetentionGap> takeRetentionGaps() {
        if (gaps.isEmpty()) {
            return List.of();
        }
        List<RetentionGap> taken = List.copyOf(gaps);
        gaps.clear();
        return taken;
    }

    /**
     * The ids do not continue after {@code last}: {@code found} came next (null: nothing did), and
     * {@code lastMissing} says {@code last} itself is gone. Waited out for a short grace, then
     * reported as the data loss it is.
     */
    private void checkGap(Object found, boolean lastMissing) {
        long now = System.nanoTime();
        if (gapSinceNanos == 0) {
            gapSinceNanos = now;
        }
        if (now - gapSinceNanos < GAP_GRACE_NANOS) {
            return;
        }
        String what;
        if (lastMissing) {
            long head;
            try {
                head = store.maxId();
            } catch (MongoException e) {
                head = -1;
            }
            what = "position " + last + ", which this reader already returned or started after, is no longer stored"
                    + " (the newest stored position is " + (head < 0 ? "unknown" : head == 0 ? "none: the topic is empty"
                    : String.valueOf(head)) + ")";
        } else {
            what = "after position " + last + " the next stored _id is " + found + ", so position " + (last + 1)
                    + " is missing";
        }
        throw new StreamableException("Topic \"" + store.name() + "\" on " + backend.describe() + ": " + what
                + ". Positions are never freed on this backend, so storage lost data (a restore, a dropped or edited"
                + " collection, a write rolled back without majority write concern). This reader stops rather than"
                + " skip messages or deliver new ones under old positions; check the MongoDB deployment, then start"
                + " the consumer from a position you choose.");
    }

    /**
     * The reader itself needs another look at once (a failed read, a removed prefix skipped): one
     * with no head named, so it is never skipped as "already returned".
     */
    private void lookAgain() {
        synchronized (monitor) {
            signalled = true;
            headUnknown = true;
        }
    }

    /** A signal that names no head (a resubscription: signals may have been lost): the reader fetches. */
    void signal() {
        signal(-1);
    }

    /**
     * A signal for this reader's topic arrived, naming the topic's head ({@code <= 0}: none): the
     * next wait ends and the reader fetches, unless it has already returned every id up to that
     * head.
     */
    void signal(long head) {
        synchronized (monitor) {
            if (head > 0) {
                signalledHead = Math.max(signalledHead, head);
            } else {
                headUnknown = true;
            }
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
        ConsumerFencedException lost = fenced;
        if (lost != null) {
            throw lost;
        }
        long offset = store.offsetOf(consumed);
        String name = consumerName.get();
        // the final save on close often runs on a thread that close() has just interrupted to stop
        // a stuck handler; the driver would refuse to work on it, and the position would be lost
        boolean interrupted = Thread.interrupted();
        try {
            UpdateResult saved = backend.positions().updateOne(Filters.and(
                            Filters.eq(MongoTopicStore.ID, store.positionKey(name)), Filters.eq(OWNER, owner),
                            Filters.eq(EPOCH, epoch)),
                    Updates.max("offset", offset));
            if (saved.getMatchedCount() == 0) {
                throw fence("its position document now carries another owner's epoch; position " + offset
                        + " was not saved");
            }
        } catch (MongoException e) {
            throw backend.failure("saving the position of consumer \"" + name + "\" on topic \""
                    + store.name() + "\"", e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private ConsumerFencedException fence(String detail) {
        ConsumerFencedException lost = new ConsumerFencedException(store.name(), consumerName.orElse(""),
                "epoch " + epoch + ": " + detail);
        if (fenced == null) {
            fenced = lost;
            LOG.warn("Consumer \"{}\" of topic \"{}\" lost its name (epoch {}): {}; it stops", consumerName.orElse(""),
                    store.name(), epoch, detail);
            wakeup();
        }
        return fenced;
    }

    /**
     * Writes this holder's epoch into the name's position document, saving {@code start} there
     * when nothing is saved yet (a name's start sticks from its first use), and returns the
     * position to start after. Refused when a newer holder has already fenced it.
     */
    static long fencePosition(MongoRedisBackend backend, MongoTopicStore store, String name, String owner,
                                      long epoch, long start) {
        try {
            Document position = backend.positions().findOneAndUpdate(Filters.and(
                            Filters.eq(MongoTopicStore.ID, store.positionKey(name)),
                            Filters.or(Filters.lt(EPOCH, epoch), Filters.exists(EPOCH, false))),
                    Updates.combine(Updates.set(OWNER, owner), Updates.set(EPOCH, epoch),
                            Updates.set("topic", store.name()), Updates.set("consumer", name),
                            Updates.setOnInsert("offset", start)),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            Object offset = position == null ? null : position.get("offset");
            return offset instanceof Number number ? Math.max(0, number.longValue()) : start;
        } catch (MongoCommandException | MongoWriteException e) {
            if (e.getCode() == 11000) {
                // the document exists with an epoch at least ours: a newer holder took the name meanwhile
                throw MongoTopicStore.nameInUse(store.name(), name);
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- lease

    /** Takes the name's lease (waiting for an expired one, see the class javadoc) and returns its epoch. */
    private static long acquireLease(MongoRedisBackend backend, MongoTopicStore store, String name, String owner) {
        if (backend.holdsLocally(store.name(), name)) {
            throw MongoTopicStore.nameInUse(store.name(), name);
        }
        MongoCollection<Document> leases = backend.leases();
        String key = store.positionKey(name);
        long ttl = backend.settings.leaseTtl().toMillis();
        long giveUpAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ttl + ttl / 2);
        long pollMillis = Math.max(20, Math.min(250, ttl / 10));
        Object observed = null;
        boolean created = false;
        while (true) {
            // released (owner null) or expired by the server's clock: take it, with the next epoch
            Document taken = leases.findOneAndUpdate(
                    Filters.and(Filters.eq(MongoTopicStore.ID, key), Filters.or(Filters.eq(OWNER, null), EXPIRED)),
                    Updates.combine(Updates.set(OWNER, owner), Updates.inc(EPOCH, 1L),
                            Updates.currentDate(RENEWED_AT), Updates.set(TTL_MS, ttl),
                            Updates.set("topic", store.name()), Updates.set("consumer", name)),
                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            if (taken != null) {
                if (observed != null) {
                    LOG.info("Consumer \"{}\" of topic \"{}\" took over an expired lease (its previous holder stopped"
                            + " without closing)", name, store.name());
                }
                return ((Number) taken.get(EPOCH)).longValue();
            }
            Document held = leases.find(Filters.eq(MongoTopicStore.ID, key)).first();
            if (held == null) {
                if (created) {
                    throw new StreamableException("The lease document of consumer \"" + name + "\" on topic \""
                            + store.name() + "\" vanished twice while it was being taken; something deletes"
                            + " documents of " + MongoRedisBackend.LEASES + ". Stop it and start the consumer again.");
                }
                created = true;
                try {
                    // created released, so that the update above takes it: epochs start at 1 and only grow
                    leases.insertOne(new Document(MongoTopicStore.ID, key).append(OWNER, null).append(EPOCH, 0L)
                            .append(RENEWED_AT, new Date(0)).append(TTL_MS, ttl));
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                        throw e;
                    }
                }
                continue;
            }
            Object renewal = List.of(String.valueOf(held.get(EPOCH)), String.valueOf(held.get(RENEWED_AT)));
            if (observed != null && !observed.equals(renewal)) {
                throw MongoTopicStore.nameInUse(store.name(), name); // renewed: its holder is alive
            }
            observed = renewal;
            if (System.nanoTime() - giveUpAt >= 0) {
                throw MongoTopicStore.nameInUse(store.name(), name);
            }
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamableException("Interrupted while waiting for the lease of consumer \""
                        + name + "\" on topic \"" + store.name() + "\"", e);
            }
        }
    }

    /**
     * Saves {@code offset} as the name's position (0 = the beginning), or forgets the name when
     * empty, while no live reader holds it. The change is made holding the name's lease, taken
     * without waiting: a live holder (renewed within its TTL) is refused, and the new epoch
     * fences a holder whose lease had expired (its commits and renewals no longer match).
     */
    static void changeOffline(MongoRedisBackend backend, MongoTopicStore store, String name, OptionalLong offset) {
        if (backend.holdsLocally(store.name(), name)) {
            throw MongoTopicStore.nameInUse(store.name(), name);
        }
        String owner = "admin-" + UUID.randomUUID();
        String key = store.positionKey(name);
        long ttl = backend.settings.leaseTtl().toMillis();
        try {
            Document taken = null;
            for (int attempt = 0; attempt < 2 && taken == null; attempt++) {
                taken = backend.leases().findOneAndUpdate(
                        Filters.and(Filters.eq(MongoTopicStore.ID, key), Filters.or(Filters.eq(OWNER, null), EXPIRED)),
                        Updates.combine(Updates.set(OWNER, owner), Updates.inc(EPOCH, 1L),
                                Updates.currentDate(RENEWED_AT), Updates.set(TTL_MS, ttl),
                                Updates.set("topic", store.name()), Updates.set("consumer", name)),
                        new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
                if (taken == null) {
                    if (backend.leases().find(Filters.eq(MongoTopicStore.ID, key)).first() != null) {
                        throw MongoTopicStore.nameInUse(store.name(), name); // held and not expired: live
                    }
                    try {
                        // created released, as a first reader would, so that the update above takes it
                        backend.leases().insertOne(new Document(MongoTopicStore.ID, key).append(OWNER, null)
                                .append(EPOCH, 0L).append(RENEWED_AT, new Date(0)).append(TTL_MS, ttl)
                                .append("topic", store.name()).append("consumer", name));
                    } catch (MongoWriteException e) {
                        if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                            throw e;
                        }
                    }
                }
            }
            if (taken == null) {
                throw MongoTopicStore.nameInUse(store.name(), name);
            }
            long epoch = ((Number) taken.get(EPOCH)).longValue();
            try {
                MongoGroups.changeOffline(backend, store, name, epoch, offset);
                if (offset.isPresent()) {
                    // a plain $set, not the commits' $max: a reset may move back
                    backend.positions().updateOne(Filters.eq(MongoTopicStore.ID, key),
                            Updates.combine(Updates.set(OWNER, owner), Updates.set(EPOCH, epoch),
                                    Updates.set("topic", store.name()), Updates.set("consumer", name),
                                    Updates.set("offset", offset.getAsLong())),
                            new UpdateOptions().upsert(true));
                } else {
                    backend.positions().deleteOne(Filters.eq(MongoTopicStore.ID, key));
                }
            } finally {
                releaseLease(backend, store, name, owner, epoch);
            }
        } catch (MongoException e) {
            throw backend.failure((offset.isPresent() ? "resetting" : "deleting") + " consumer \"" + name
                    + "\" on topic \"" + store.name() + "\"", e);
        }
    }

    /**
     * Releases every lease of {@code topic} unless one is live, which is refused: a deleted topic
     * keeps its lease documents (released, so epochs keep growing) and fences expired holders.
     */
    static void releaseAllOffline(MongoRedisBackend backend, String topic) {
        Document live = backend.leases().find(Filters.and(Filters.eq("topic", topic), Filters.ne(OWNER, null),
                new Document("$expr", new Document("$gte", List.of(
                        new Document("$add", List.of("$" + RENEWED_AT, "$" + TTL_MS)), "$$NOW"))))).first();
        if (live != null) {
            throw MongoTopicStore.nameInUse(topic, live.getString("consumer"));
        }
        backend.leases().updateMany(Filters.eq("topic", topic), Updates.set(OWNER, null));
    }

    /** Called by the backend's heartbeat. */
    void renewLease() {
        if (consumerName.isEmpty() || closed.get() || fenced != null) {
            return;
        }
        renew();
    }

    /**
     * Renews the lease if this reader still holds it, by owner and epoch; marks the reader fenced
     * when it does not. Returns whether the lease now holds for another TTL.
     */
    private boolean renew() {
        if (suspended || backend.isSuspended()) {
            // the test hook stands for a paused process: no renewal, but a take-over is still noticed
            Document held = backend.leases().find(Filters.eq(MongoTopicStore.ID, store.positionKey(consumerName.get())))
                    .first();
            if (held == null || !owner.equals(held.get(OWNER)) || !Objects.equals(held.get(EPOCH), epoch)) {
                fence(describeHolder(held));
            }
            return false;
        }
        long started = System.nanoTime();
        UpdateResult renewed = backend.leases().updateOne(
                Filters.and(Filters.eq(MongoTopicStore.ID, store.positionKey(consumerName.get())),
                        Filters.eq(OWNER, owner), Filters.eq(EPOCH, epoch)),
                Updates.currentDate(RENEWED_AT));
        if (renewed.getMatchedCount() == 1) {
            renewedAtNanos = started;
            return true;
        }
        if (!closed.get()) {
            Document held = backend.leases().find(Filters.eq(MongoTopicStore.ID, store.positionKey(consumerName.get())))
                    .first();
            fence(describeHolder(held));
        }
        return false;
    }

    private static String describeHolder(Document held) {
        if (held == null) {
            return "its lease document is gone";
        }
        return held.get(OWNER) == null ? "its lease was released" : "the lease is now held at epoch " + held.get(EPOCH);
    }

    /** Test hook: act as a paused process, no longer renewing the lease (see BackendFixture.suspendOwnership). */
    void suspendOwnership() {
        suspended = true;
    }

    private static void releaseLease(MongoRedisBackend backend, MongoTopicStore store, String name, String owner,
                                     long epoch) {
        boolean interrupted = Thread.interrupted(); // as in commit(): close() runs on interrupted threads
        try {
            // released, not deleted: the next holder's epoch continues from this one
            backend.leases().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, store.positionKey(name)),
                    Filters.eq(OWNER, owner), Filters.eq(EPOCH, epoch)), Updates.set(OWNER, null));
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
                documents.close();
            } finally {
                fetchLock.unlock();
            }
        }
        if (consumerName.isPresent() && fenced == null) {
            releaseLease(backend, store, consumerName.get(), owner, epoch);
        }
    }

    @Override
    public String toString() {
        return "reader of topic \"" + store.name() + "\"" + consumerName.map(n -> " as \"" + n + "\"").orElse("");
    }
}
