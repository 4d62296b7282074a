package io.streamable.backend.mongoredis;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.ReadPreference;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.UpdateManyModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.WriteModel;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.Slots;
import io.streamable.TopicDescription;
import io.streamable.StreamableException;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerNameInUseException;
import org.bson.BSONException;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.BsonBinary;
import org.bson.BsonBinaryWriter;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.codecs.BsonTypeClassMap;
import org.bson.codecs.DocumentCodec;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.bson.RawBsonDocument;
import org.bson.io.BasicOutputBuffer;
import org.bson.types.Binary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.concurrent.locks.LockSupport;

/**
 * One topic: a MongoDB collection named after it (shortened for very long names, see
 * {@link MongoRedisBackend#collectionNameFor}) with one document per message, whose numeric {@code _id} is
 * the message's position.
 *
 * <h2>The append and compaction invariant</h2>
 * <b>The stored ids of a topic are always exactly {@code 1..max(_id)}, and no document is ever
 * deleted.</b> An append claims the ids right after an id known to exist (the current maximum, or
 * the last id this process inserted) and inserts them in order with one ordered {@code insertMany};
 * the unique {@code _id} index is the arbiter between concurrent writers (a loser gets a
 * duplicate-key error and claims again after the id it lost to, or from the maximum; see
 * {@code insert}). So id {@code n} is only ever inserted once
 * {@code n - 1} exists, and since nothing is removed, every id below the head is taken for good: no
 * later append can be given a position below one a reader has passed.
 *
 * <p>Compaction is therefore an update, never a delete: a record with a log compaction id turns
 * the earlier records with the same sharding key <em>and</em> the same compaction id into
 * <em>stubs</em> ({@code compacted: true}; payload, headers and compaction id removed, {@code _id},
 * sharding key and {@code createdAt} kept). Readers skip stubs, {@link #lag} does not count them.
 * The newest record of a (sharding key, compaction id) pair is never stubbed, since a writer only
 * stubs ids below the one it has just inserted.
 *
 * <p>What breaks the invariant is storage losing acknowledged data (a restore, a dropped
 * collection, a write that was not majority-acknowledged and rolled back). The cached head is
 * forgotten after every failed or unknown-outcome write and whenever the driver clears its
 * connection pool (a server restart or fail-over), so producers claim from the real maximum again;
 * and a reader that finds a position it already returned gone, or a gap in the ids that does not
 * close, stops with a {@link StreamableException} saying storage lost data, never skipping.
 *
 * <p>Appends of this process go through one queue per topic, drained by one writer at a time
 * that groups what is queued into a single {@code insertMany}: appends keep their order and
 * concurrent small appends share a round trip. The writer is a producer waiting for its own
 * append ({@link AppendFuture}) or else a thread of the backend's writer pool.
 */
final class MongoTopicStore implements TopicStore, ConsumerGroups {
    private static final Logger LOG = LoggerFactory.getLogger(MongoTopicStore.class);
    static final String ID = "_id";
    static final String SHARDING_KEY = "shardingKey";
    static final String LOG_COMPACT_ID = "logCompactId";
    static final String HEADERS = "headers";
    static final String PAYLOAD = "payload";
    static final String CREATED_AT = "createdAt";
    /** Marks a compacted stub: a superseded record whose id stays taken. */
    static final String COMPACTED = "compacted";
    private static final int DUPLICATE_KEY = 11000;
    /** The most records one writer round trip carries; bigger appends go alone. */
    private static final int GROUP_LIMIT = 1000;
    private static final int MAX_CLAIM_ATTEMPTS = 10_000;
    /** Lost tries in a row that claim right after the id they lost to, before reading {@code max(_id)} again. */
    private static final int MAX_WALK = 3;
    /** Where {@link #toDocument} writes the {@code _id} value: after the length, the type byte and "_id\0". */
    private static final int ID_OFFSET = 4 + 1 + 4;
    /** MongoDB's document limit. */
    private static final long MAX_DOCUMENT_BYTES = 16L * 1024 * 1024;

    /** Top-level documents as {@link Document}, every embedded document as {@link RawBsonDocument}. */
    static final CodecRegistry RAW_EMBEDDED = CodecRegistries.fromRegistries(
            CodecRegistries.fromCodecs(new DocumentCodec(MongoClientSettings.getDefaultCodecRegistry(),
                    new BsonTypeClassMap(Map.of(BsonType.DOCUMENT, RawBsonDocument.class)))),
            MongoClientSettings.getDefaultCodecRegistry());

    private final MongoRedisBackend backend;
    private final String name;
    private final String collectionName;
    /** Appends and compaction, with the backend's write concern. */
    private final MongoCollection<Document> collection;
    /** Appends as documents written straight to BSON ({@link #toDocument}). */
    private final MongoCollection<RawBsonDocument> inserts;
    /** The head and lag, read from the primary. */
    private final MongoCollection<Document> primary;
    /** Readers' queries, with majority read concern. */
    private final MongoCollection<Document> reads;
    private final ConcurrentLinkedQueue<PendingAppend> queue = new ConcurrentLinkedQueue<>();
    /** A writer thread has been asked to drain and has not started yet. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** A thread is writing this topic's appends (a writer thread, or a producer waiting for its own). */
    private final AtomicBoolean writing = new AtomicBoolean();
    private final LongAdder lostRaces = new LongAdder();
    private volatile boolean indexed;
    /** Retention and the time search (issue 17): kept apart from the append path. */
    private final MongoRetention retention;
    private volatile boolean checked;
    /**
     * The highest id this process knows to exist, or {@link #HEAD_UNKNOWN}. An append first tries
     * right after it, saving the {@code max(_id)} round trip; the unique index still arbitrates,
     * and a duplicate key sends the writer back to asking MongoDB for the real maximum.
     */
    private volatile long knownHead = HEAD_UNKNOWN;
    private static final long HEAD_UNKNOWN = Long.MIN_VALUE;
    /** When {@link #knownHead} was last confirmed by a write of this process. */
    private volatile long knownHeadNanos;
    /**
     * A cached head confirmed this recently is at most a few ids behind, even with other
     * connections writing: after losing a try from it, claim right after the id lost to. An older
     * one may be far behind (others wrote while this process was idle): read {@code max(_id)}.
     */
    private static final long FRESH_HEAD_NANOS = 20_000_000L;
    /** When this store last lost a race for an id: within {@link #CONTENDED_NANOS}, it yields before claiming. */
    private volatile long lastLossNanos = System.nanoTime() - Long.MAX_VALUE / 2;
    private static final long CONTENDED_NANOS = 1_000_000_000L;
    private static final long MAX_YIELD_NANOS = 2_000_000L;
    /** A moving average of this store's successful inserts' round trips: how long a yield lasts. */
    private volatile long insertNanos = 100_000L;
    /**
     * The last low-water mark this store read, 0 before any, and its monotonic time taken before
     * the read was sent: with a removal delay G, a round whose insert returned within G/2 of that
     * time and reaches the mark needs no read of its own (README, "removal delay").
     */
    private volatile MarkSeen markSeen = MarkSeen.NONE;
    /** The monotonic clock of the mark's window; tests replace it to pause an appender without sleeping. */
    private volatile LongSupplier ticker = System::nanoTime;
    private final LongAdder markReads = new LongAdder();
    /** The topic's slot count once this process has read or recorded it ({@link #slotCount()}); 0 before. */
    private volatile int slotCount;

    private record PendingAppend(List<AppendRecord> records, CompletableFuture<List<Position>> result) {
    }

    MongoTopicStore(MongoRedisBackend backend, String name) {
        this.backend = backend;
        this.name = name;
        this.collectionName = backend.collectionNameFor(name);
        this.collection = backend.collection(collectionName).withWriteConcern(backend.writeConcern());
        this.inserts = collection.withDocumentClass(RawBsonDocument.class);
        this.primary = collection.withReadPreference(ReadPreference.primary());
        // embedded documents (payloads, headers) decode as raw bytes: a payload streams to JSON without a tree
        this.reads = collection.withReadConcern(backend.readConcern()).withCodecRegistry(RAW_EMBEDDED);
        backend.onPoolCleared(this::forgetHead);
        this.retention = new MongoRetention(backend, this);
    }

    /** The collection for removal and point reads: the backend's write concern, read from the primary. */
    MongoCollection<Document> writable() {
        return primary;
    }

    MongoRetention retentionPolicy() {
        return retention;
    }

    @Override
    public Retention retention() {
        return retention.retention();
    }

    @Override
    public void setRetention(Retention limits) {
        retention.setRetention(Objects.requireNonNull(limits, "retention"));
    }

    @Override
    public void enforceRetention() {
        retention.enforce();
    }

    @Override
    public Optional<Position> positionBefore(Instant instant) {
        return retention.positionBefore(instant);
    }

    @Override
    public TopicDescription describeTopic() {
        return retention.describe();
    }

    /** The server may have lost what this process wrote (a restart, a fail-over): claim from the real maximum. */
    void forgetHead() {
        knownHead = HEAD_UNKNOWN;
    }

    @Override
    public String name() {
        return name;
    }

    MongoCollection<Document> collection() {
        return reads;
    }

    /**
     * Before the first read: records a long name's mapping and refuses a sharded collection, but
     * creates no index. A reader may be opened on another program's collection (the TypeScript
     * prototype's), which must not change under it; indexes come with this backend's first append.
     */
    void checkReadable() {
        if (!checked) {
            if (!collectionName.equals(name)) {
                backend.recordLongName(collectionName, name);
            }
            backend.refuseSharded(collectionName, name);
            checked = true;
        }
    }

    /** Creates the topic's indexes before this process's first append to it; idempotent, retried after a failure. */
    void ensureIndexes() {
        if (!indexed) {
            checkReadable();
            // compaction filters on (logCompactId, shardingKey); partial: most messages carry no
            // compaction id, and stubs lose theirs, so neither takes an index entry
            collection.createIndex(Indexes.ascending(LOG_COMPACT_ID, SHARDING_KEY),
                    new IndexOptions().name("compaction").partialFilterExpression(Filters.exists(LOG_COMPACT_ID)));
            // lag counts the stubs after a position from this index alone, never touching a document
            collection.createIndex(Indexes.ascending(COMPACTED, ID),
                    new IndexOptions().name("stubs").partialFilterExpression(Filters.exists(COMPACTED)));
            // a consumer group member reads only its slots, in _id order (documents written before
            // the slot field index it as null, which members read too)
            collection.createIndex(Indexes.ascending(MongoGroups.SLOT, ID), new IndexOptions().name("slots"));
            indexed = true;
        }
    }

    // ---------------------------------------------------------------- slots

    /**
     * The topic's slot count: how many slots its keys are split into for consumer groups, which
     * every message document's {@value MongoGroups#SLOT} field is computed for. Recorded in
     * {@value MongoRedisBackend#TOPICS} by the first append or group join of any connection (the
     * connection's {@code slots} option, else {@value MongoRedisSettings#DEFAULT_SLOTS}) and never
     * changed afterwards: changing it would move keys between slots, so between members, in the
     * middle of their order, and the stored slot fields would be wrong. A topic written before the
     * count was recorded (its documents carry slot fields, or it has groups) gets the count they
     * were written for, 16. Cached per store; deleting the topic forgets it.
     *
     * @throws IllegalStateException when this connection's {@code slots} option names another count
     */
    int slotCount() {
        int known = slotCount;
        if (known == 0) {
            known = recordSlotCount();
            slotCount = known;
        }
        return known;
    }

    private int recordSlotCount() {
        MongoCollection<Document> topics = backend.topicDocuments();
        OptionalInt asked = backend.settings.groups().slots();
        Document recorded = topics.find(Filters.eq(ID, collectionName)).first();
        if (recorded == null || !(recorded.get(MongoGroups.SLOT_COUNT) instanceof Number)) {
            OptionalInt inherited = slotCountOfExistingData();
            int first = inherited.orElse(asked.orElse(MongoRedisSettings.DEFAULT_SLOTS));
            try {
                // only where none is recorded: of two first users, the first write wins and both read it back
                topics.updateOne(Filters.and(Filters.eq(ID, collectionName), Filters.exists(MongoGroups.SLOT_COUNT, false)),
                        Updates.combine(Updates.set(MongoGroups.SLOT_COUNT, first), Updates.set("topic", name)),
                        new UpdateOptions().upsert(true));
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                // another connection recorded it in between (the upsert found its filter unmatched)
            }
            recorded = topics.find(Filters.eq(ID, collectionName)).first();
        }
        long count = recorded != null && recorded.get(MongoGroups.SLOT_COUNT) instanceof Number number
                ? number.longValue() : -1;
        if (count < 1 || count > MongoRedisSettings.MAX_SLOTS) {
            throw new StreamableException("Topic \"" + name + "\" on " + backend.describe() + ": its document in "
                    + MongoRedisBackend.TOPICS + " (_id \"" + collectionName + "\") holds slotCount "
                    + (recorded == null ? "nothing (it vanished while it was written)" : recorded.get(MongoGroups.SLOT_COUNT))
                    + ", not a whole number from 1 to " + MongoRedisSettings.MAX_SLOTS + ". Something else writes"
                    + " there; set it back to the slot count the topic was created with (16 unless slots= said otherwise).");
        }
        if (asked.isPresent() && asked.getAsInt() != count) {
            throw new IllegalStateException("Topic \"" + name + "\" on " + backend.describe() + " splits its keys into "
                    + count + " slots (recorded in " + MongoRedisBackend.TOPICS + " when the topic was first used;"
                    + " topics from before the slots option have " + MongoRedisSettings.DEFAULT_SLOTS + "), but this"
                    + " connection asks for slots=" + asked.getAsInt() + ". The slot count is fixed per topic: every"
                    + " message stores its slot, and changing the count would move keys between consumer group members"
                    + " in the middle of their order. Use slots=" + count + " (or no slots option) for this topic, or"
                    + " delete the topic (Streamable.deleteTopic: its messages and positions go) and create it again"
                    + " with slots=" + asked.getAsInt() + ".");
        }
        return (int) count;
    }

    /**
     * The slot count a topic with no recorded count was already used with: its groups' count, or
     * 16 when its documents carry slot fields (written before the count was recorded, for 16).
     * Empty for a new topic, or another program's documents without slot fields (their slot is
     * computed from the key whatever the count).
     */
    private OptionalInt slotCountOfExistingData() {
        Document group = backend.groups().find(Filters.eq("topic", name))
                .projection(Projections.include(MongoGroups.SLOT_COUNT)).first();
        if (group != null) {
            return OptionalInt.of(MongoGroups.slotCountOf(group));
        }
        Document withSlot = primary.find(Filters.exists(MongoGroups.SLOT)).projection(Projections.include(ID)).first();
        return withSlot == null ? OptionalInt.empty() : OptionalInt.of(MongoRedisSettings.DEFAULT_SLOTS);
    }

    // ---------------------------------------------------------------- append

    @Override
    public CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (backend.isClosed()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "The mongoredis backend " + backend.describe() + " is closed; the append to \"" + name
                            + "\" was not stored"));
        }
        for (int i = 0; i < records.size(); i++) {
            long size = estimatedSize(records.get(i));
            if (size > MAX_DOCUMENT_BYTES) {
                // refused before anything is written, so the append is all-or-nothing here
                return CompletableFuture.failedFuture(new IllegalArgumentException("Record " + (i + 1) + " of "
                        + records.size() + " appended to topic \"" + name + "\" is about " + size / 1024
                        + " KB, over MongoDB's 16 MB document limit; nothing of this append was stored."
                        + " Store large content elsewhere and append a reference to it."));
            }
        }
        RuntimeException refused = backend.admit(name, records.size());
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        CompletableFuture<List<Position>> result = new AppendFuture<>(this);
        int admitted = records.size();
        result.whenComplete((positions, failure) -> backend.release(admitted));
        queue.add(new PendingAppend(List.copyOf(records), result));
        scheduleDrain();
        return result;
    }

    /**
     * Makes sure a writer thread will look at the queue: at most one is queued at a time. The
     * thread that then finds the queue empty (a waiting producer wrote it, see {@link AppendFuture})
     * does nothing.
     */
    private void scheduleDrain() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                backend.writers().execute(() -> {
                    scheduled.set(false);
                    // a producer about to wait for this append writes it itself, sparing it a wake-up:
                    // give it the moment it needs to get there
                    Thread.yield();
                    drainUntil(null);
                });
            } catch (RuntimeException rejected) {
                scheduled.set(false);
                failPending();
            }
        }
    }

    /**
     * Writes what is queued, one group per round trip, on the calling thread: a writer thread
     * ({@code until} null) until the queue is empty, a producer waiting for its append
     * ({@link AppendFuture}) until that append completed, leaving the rest to a writer thread.
     * One thread at a time writes a topic's appends (the {@link #writing} flag), so appends keep
     * their order and {@link #knownHead} has a single writer; a thread that finds another writing
     * returns at once (the writer sees what it queued, or the waiter waits for the writer).
     */
    void drainUntil(CompletableFuture<?> until) {
        while (writing.compareAndSet(false, true)) {
            try {
                while (until == null || !until.isDone()) {
                    if (until != null && Thread.currentThread().isInterrupted()) {
                        break; // an interrupted waiter must not fail others' inserts: a writer thread goes on
                    }
                    RuntimeException down = backend.knownDown(name);
                    if (down != null) {
                        // queued behind a write that found MongoDB unreachable: fail now, not one group per timeout
                        failQueued(down);
                        break;
                    }
                    List<PendingAppend> group = new ArrayList<>();
                    int size = 0;
                    PendingAppend next;
                    while ((next = queue.peek()) != null
                            && (group.isEmpty() || size + next.records().size() <= GROUP_LIMIT)) {
                        queue.poll();
                        group.add(next);
                        size += next.records().size();
                    }
                    if (group.isEmpty()) {
                        break;
                    }
                    try {
                        write(group, size);
                    } catch (RuntimeException | Error unexpected) {
                        // a future left incomplete would hang its producer: fail what is still open
                        LOG.error("Appending to topic \"{}\" failed unexpectedly", name, unexpected);
                        group.forEach(pending -> pending.result().completeExceptionally(unexpected));
                    }
                }
            } finally {
                writing.set(false);
            }
            // an append may have queued after the last poll and found this thread writing
            if (queue.isEmpty()) {
                return;
            }
            if (until != null && (until.isDone() || Thread.currentThread().isInterrupted())) {
                scheduleDrain();
                return;
            }
        }
    }

    private void write(List<PendingAppend> group, int size) {
        List<AppendRecord> records = new ArrayList<>(size);
        group.forEach(pending -> records.addAll(pending.records()));
        long[] ids = new long[records.size()];
        int stored;
        RuntimeException failure = null;
        try {
            ensureIndexes();
            stored = insert(records, ids, slotCount());
        } catch (PartialInsert e) {
            stored = e.stored;
            failure = e.failure;
        } catch (MongoException e) {
            stored = 0;
            failure = backend.unavailable("appending to topic \"" + name + "\"", e);
        } catch (RuntimeException e) {
            stored = 0;
            failure = e;
        }
        if (failure != null) {
            // the outcome of the last round is unknown (or the server lost data): claim from the real maximum
            forgetHead();
            if (failure instanceof BackendUnavailableException && failure.getCause() instanceof MongoException) {
                backend.markDown(failure);
            }
        } else {
            backend.markUp();
        }
        if (stored > 0) {
            // before the acknowledgements: once an append's future completed, a reader from the
            // beginning no longer sees what it superseded (the contract on memory and MongoDB)
            compact(records.subList(0, stored), ids);
            advancePrototypeCounter(ids[stored - 1]);
        }
        // a record the server refused fails its own append only: the appends grouped after it
        // are written again; a transient failure fails them all (the producers may retry)
        boolean refusedRecord = failure instanceof IllegalArgumentException;
        List<PendingAppend> again = new ArrayList<>();
        int offset = 0;
        for (PendingAppend pending : group) {
            int end = offset + pending.records().size();
            if (end <= stored) {
                List<Position> positions = new ArrayList<>(pending.records().size());
                for (int i = offset; i < end; i++) {
                    positions.add(Position.of(ids[i]));
                }
                pending.result().complete(positions);
            } else if (refusedRecord && offset > stored) {
                again.add(pending);
            } else {
                pending.result().completeExceptionally(failure);
            }
            offset = end;
        }
        if (stored > 0) {
            backend.appended(name, ids[stored - 1]);
        }
        if (!again.isEmpty()) {
            write(again, again.stream().mapToInt(pending -> pending.records().size()).sum());
        }
    }

    /**
     * With {@code prototypeSignals=true}, before the acknowledgements: a prototype producer still
     * running claims its next id from {@code nextids}, which must be past every id written here.
     * The records are stored, so a failure is logged, not thrown (failing the append would make
     * its producer store it twice).
     */
    private void advancePrototypeCounter(long head) {
        try {
            backend.advancePrototypeCounter(collectionName, head);
        } catch (MongoException e) {
            LOG.warn("Could not advance the prototype's nextids counter of \"{}\" to {} ({}); a prototype producer"
                    + " still writing to it may collide with this id", name, head, e.toString());
        }
    }

    /** An insert that stored the first {@code stored} records, then failed. */
    private static final class PartialInsert extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient int stored;
        final RuntimeException failure;

        PartialInsert(int stored, RuntimeException failure) {
            super(failure.getMessage(), failure, false, false);
            this.stored = stored;
            this.failure = failure;
        }
    }

    /**
     * Inserts records at the ids after the current maximum, claiming again after losing a race.
     *
     * <p>Where a claim starts (issue 13: claims must be fair between connections, not only
     * correct): the first try of an append takes the id after {@link #knownHead}, the highest id
     * this process knows to exist (no round trip). A lost race (duplicate key on id {@code x})
     * proves {@code x} exists, so the next try takes {@code x + 1} at once, without reading the
     * maximum: the winner, which tries its own {@code x + 1} from its cache, no longer gets a
     * round trip's head start on every loser, which let one connection take most ids while the
     * others kept losing. Two exceptions read {@code max(_id)} from the primary instead: when the
     * lost try came from a cache not confirmed within the last 20 ms (it may be far behind, after
     * others wrote while this process was idle), and after {@value #MAX_WALK} lost tries in a row
     * (many writers, or another's large batch). Either way id {@code n} is only tried once
     * {@code n - 1} is known to exist, so the ids stay dense (see the class javadoc).
     *
     * <p>That alone does not make it fair: the server answers the winner of id {@code n} first, so
     * the winner's try for {@code n + 1} still arrives before the losers' (measured: tries from
     * the cache won 83 %, tries right after a lost id 13 %). So a store that lost a race within the
     * last second (the topic has other writers) yields for about one insert round trip (its own
     * moving average, at most 2 ms) before a try from its cache, letting a loser's retry take the
     * next id; it then loses that race itself, which keeps it yielding while the contention lasts.
     * A writer alone never loses and never yields. Losers do not back off: their retry is the one
     * the yield lets through.
     */
    private int insert(List<AppendRecord> records, long[] ids, int slots) {
        boolean asDocuments = backend.bsonPayloads();
        int count = records.size();
        int done = 0;
        int conflicts = 0;
        // an id a lost race showed to exist, and how many tries in a row claimed right after one
        long taken = HEAD_UNKNOWN;
        int walked = 0;
        // the last try came from a cached head that may be far behind
        boolean staleTry = false;
        // built once; a retry only rewrites the ids of the records not yet stored
        byte[][] bytes = null;
        List<RawBsonDocument> documents = null;
        while (done < count) {
            long first;
            long cached = knownHead;
            if (conflicts == 0 && cached != HEAD_UNKNOWN) {
                long now = System.nanoTime();
                if (now - lastLossNanos < CONTENDED_NANOS) {
                    // others claim ids too: let a loser's retry, on its way now, take the next id first
                    LockSupport.parkNanos(Math.min(insertNanos, MAX_YIELD_NANOS));
                    cached = knownHead;
                    now = System.nanoTime();
                }
                first = cached + 1;
                staleTry = now - knownHeadNanos >= FRESH_HEAD_NANOS;
            } else if (taken != HEAD_UNKNOWN && walked < MAX_WALK && !staleTry) {
                first = taken + 1;
                walked++;
            } else {
                staleTry = false;
                try {
                    first = maxId() + 1;
                } catch (MongoException e) {
                    throw new PartialInsert(done, backend.unavailable("appending to topic \"" + name + "\"", e));
                }
                walked = 0;
            }
            if (bytes == null) {
                Date now = new Date();
                bytes = new byte[count][];
                documents = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    BasicOutputBuffer buffer = encode(first + i, records.get(i), asDocuments, now, slots);
                    bytes[i] = buffer.getInternalBuffer();
                    // shares the array: rewriting the id below changes the document
                    documents.add(new RawBsonDocument(bytes[i], 0, buffer.getPosition()));
                }
            } else {
                for (int i = done; i < count; i++) {
                    setId(bytes[i], first + i - done);
                }
            }
            List<RawBsonDocument> round = done == 0 ? documents : documents.subList(done, count);
            int inserted;
            long sent = System.nanoTime();
            try {
                if (round.size() == 1) {
                    // the driver's insertMany builds a result map per call; a single append needs none
                    inserts.insertOne(round.get(0));
                } else {
                    inserts.insertMany(round, new InsertManyOptions().ordered(true));
                }
                inserted = round.size();
            } catch (MongoBulkWriteException e) {
                // an ordered insert stops at its first error: everything before it is stored.
                // The write errors' indexes are reliable, getInsertedCount() is not on every server.
                BulkWriteError error = e.getWriteErrors().stream()
                        .min((x, y) -> Integer.compare(x.getIndex(), y.getIndex())).orElse(null);
                inserted = error == null ? 0 : error.getIndex();
                if (error == null || error.getCode() != DUPLICATE_KEY) {
                    fill(ids, done, first, inserted);
                    throw new PartialInsert(done + inserted, rejected(e, error == null ? e.getMessage() : error.getMessage()));
                }
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw new PartialInsert(done, rejected(e, e.getError().getMessage()));
                }
                inserted = 0;
            } catch (BSONException e) {
                // the driver refused to encode a document (size): nothing of this round was sent
                throw new PartialInsert(done, new IllegalArgumentException("MongoDB's driver refused a record"
                        + " appended to topic \"" + name + "\": " + e.getMessage()
                        + ". Keep each message under MongoDB's 16 MB document limit.", e));
            } catch (MongoException e) {
                // the connection failed mid-insert: part of this round may be stored all the same
                throw new PartialInsert(done, backend.unavailable("appending to topic \"" + name + "\"", e));
            }
            if (inserted > 0 && claimedBelowLowWater(first, inserted, done)) {
                // a removal freed the ids this round took: nothing of it is stored, claim again after the head
                knownHead = HEAD_UNKNOWN;
                taken = HEAD_UNKNOWN;
                staleTry = true;
                conflicts++;
                continue;
            }
            fill(ids, done, first, inserted);
            done += inserted;
            if (inserted > 0) {
                knownHead = first + inserted - 1; // writers of one topic take turns, so no lost update
                knownHeadNanos = System.nanoTime();
                insertNanos += (knownHeadNanos - sent - insertNanos) / 8;
            }
            if (done < count) {
                // the only unique index is _id's: the id right after the stored ones is taken
                taken = first + inserted;
                if (inserted > 0) {
                    staleTry = false; // it stored some: the cache was right, another writer came in between
                }
                if (cached == HEAD_UNKNOWN || taken > cached) {
                    knownHead = taken; // it exists: the next append claims after it
                    knownHeadNanos = System.nanoTime();
                }
                if (inserted > 0) {
                    walked = 0;
                }
                lostRaces.increment();
                lastLossNanos = System.nanoTime();
                conflicts++;
                if (conflicts > MAX_CLAIM_ATTEMPTS) {
                    throw new PartialInsert(done, new BackendUnavailableException("Gave up appending to topic \"" + name + "\" after "
                            + MAX_CLAIM_ATTEMPTS + " lost races for the next position; "
                            + (count - done) + " of " + count + " records were not stored", null));
                }
            }
        }
        return done;
    }

    /** Sets the monotonic clock of the mark's window (tests). */
    void ticker(LongSupplier clock) {
        ticker = clock;
    }

    /** How many low-water mark reads the append path made (tests and tools). */
    long markReads() {
        return markReads.sum();
    }

    /** How many tries of this store lost the race for an id to another connection (for tests and tools). */
    long lostRaces() {
        return lostRaces.sum();
    }

    /**
     * Whether the ids {@code first .. first + inserted - 1} just inserted all lie below the topic's
     * low-water mark, and were therefore removed, and now inserted again, in the prefix retention
     * removes: readers have passed those positions, so the records would be acknowledged and never
     * delivered. Every claim is made from what this process last knew (its cached head, the id
     * after a lost race, or {@code max(_id)} read a round trip ago), and in the meantime other
     * connections may have appended and retention removed the id claimed: the unique {@code _id}
     * refuses an id that exists, not one that was removed. Retention raises the mark before it
     * removes anything, so the mark read after the insert shows every removal that freed these ids.
     * One point read per stored round (not per record); the inserted documents are deleted again
     * (they lie in the removed prefix, so no reader delivers them) and the round is claimed anew.
     * A round that retention passed only after it was stored lies below the mark too; it is
     * appended again as well, so a reader that saw it before the mark rose gets it twice (a
     * duplicate, never a loss). A round that ends at or above the mark was stored above the head
     * of its time (the ids from the mark on are dense), so it is kept.
     */
    private boolean claimedBelowLowWater(long first, int inserted, int done) {
        long last = first + inserted - 1;
        long window = retention.removalDelayNanos() / 2;
        MarkSeen seen = markSeen; // one object: a mark is only ever trusted with the time of its own read
        // returned within the window of an observation started earlier, reaching the mark it saw: nothing at or
        // above that mark can have been deleted before this insert ran, so its ids were above the head
        if (window > 0 && seen.mark() > 0 && last >= seen.mark() && ticker.getAsLong() - seen.readStartNanos() < window) {
            return false;
        }
        long low;
        try {
            long before = ticker.getAsLong();
            markReads.increment();
            low = retention.lowWater();
            if (window > 0) {
                markSeen = new MarkSeen(low, before);
            }
        } catch (MongoException e) {
            // stored, but whether above the mark is unknown: fail like an insert whose outcome is unknown
            throw new PartialInsert(done, backend.unavailable("checking the low-water mark of topic \"" + name
                    + "\" after an append", e));
        }
        if (last >= low) {
            return false;
        }
        LOG.warn("Appended ids {}..{} of topic \"{}\" fell below its low-water mark {}: retention removed them"
                + " while this connection claimed them; appending the records again after the head", first, last,
                name, low);
        try {
            collection.deleteMany(Filters.and(Filters.gte(ID, first), Filters.lte(ID, last), Filters.lt(ID, low)));
        } catch (MongoException e) {
            // harmless: below the mark no reader delivers them, and the next removal takes them
            LOG.debug("Could not delete ids {}..{} of topic \"{}\" below its low-water mark", first, last, name, e);
        }
        return true;
    }

    /** An upper bound of a record's BSON size: strings may take up to 4 bytes a character. */
    private static long estimatedSize(AppendRecord record) {
        long size = 256L + record.payload().length + 4L * record.shardingKey().length()
                + 4L * record.logCompactId().map(String::length).orElse(0);
        for (Map.Entry<String, String> header : record.headers().entrySet()) {
            size += 32 + 4L * (header.getKey().length() + header.getValue().length());
        }
        return size;
    }

    private static void fill(long[] ids, int from, long firstId, int count) {
        for (int i = 0; i < count; i++) {
            ids[from + i] = firstId + i;
        }
    }

    private RuntimeException rejected(MongoException e, String reason) {
        // not a transient failure: the server refused the document itself (for example too large)
        if (e.getCode() == 10334 || e.getCode() == 2 || (reason != null && reason.contains("too large"))) {
            return new IllegalArgumentException("MongoDB refused a record appended to topic \"" + name + "\": "
                    + reason + ". Keep each message under MongoDB's 16 MB document limit.", e);
        }
        return backend.unavailable("appending to topic \"" + name + "\"", e);
    }

    /**
     * The highest stored id, 0 for an empty topic; read from the primary. Only numeric ids count
     * ({@code _id > 0} brackets the type), so another program's document with a string id is ignored.
     */
    long maxId() {
        Document last = primary.find(Filters.gt(ID, 0L)).projection(Projections.include(ID))
                .sort(Sorts.descending(ID)).limit(1).first();
        return last == null ? 0 : Math.max(0, idOf(last));
    }

    /**
     * The highest stored id as readers see it (majority read concern), 0 for an empty topic: a
     * group member reads no further than this, after checking every id up to it is there.
     */
    long majorityMaxId() {
        Document last = reads.find(Filters.gt(ID, 0L)).projection(Projections.include(ID))
                .sort(Sorts.descending(ID)).limit(1).first();
        return last == null ? 0 : Math.max(0, idOf(last));
    }

    /**
     * How many records of the given slots lie after each slot's offset, stubs not counted, on the
     * {@code (slot, _id)} index. Documents written before the slot field are counted for every slot
     * after the lowest offset (an overestimate, 0 once they are handled).
     */
    long slotLag(Map<Integer, Long> afterBySlot) {
        if (afterBySlot.isEmpty()) {
            return 0;
        }
        List<Bson> branches = new ArrayList<>();
        long lowest = Long.MAX_VALUE;
        for (Map.Entry<Integer, Long> slot : afterBySlot.entrySet()) {
            branches.add(Filters.and(Filters.eq(MongoGroups.SLOT, slot.getKey()), Filters.gt(ID, slot.getValue())));
            lowest = Math.min(lowest, slot.getValue());
        }
        branches.add(Filters.and(Filters.eq(MongoGroups.SLOT, null), Filters.gt(ID, lowest)));
        // stubs counted apart with an equality, which the partial stubs index answers; a `$ne` could
        // be answered from that index too and miss every document outside it
        Bson slots = Filters.or(branches);
        long stubs = primary.countDocuments(Filters.and(Filters.eq(COMPACTED, true), slots));
        return Math.max(0, primary.countDocuments(slots) - stubs);
    }

    /** A document's position, or -1 when its {@code _id} is not a whole number (not this backend's document). */
    static long idOf(Document document) {
        Object id = document.get(ID);
        if (id instanceof Long value) {
            return value;
        }
        if (id instanceof Integer value) {
            return value;
        }
        if (id instanceof Double value && value == Math.rint(value) && value > 0 && value < 0x1p53) {
            return value.longValue();
        }
        return -1;
    }

    /** Whether a document is a compacted stub, which readers skip. */
    static boolean isStub(Document document) {
        return Boolean.TRUE.equals(document.get(COMPACTED));
    }

    /**
     * The document of one record, written straight to BSON in one buffer: the payload as an
     * embedded document when its codec wrote a JSON object and the backend stores documents
     * ({@code payloads=bson}, the default), transcoded from the JSON bytes as they are parsed;
     * otherwise, or when BSON cannot hold that JSON as is, the bytes as BinData. Its
     * {@value MongoGroups#SLOT} field is the key's slot among the topic's {@code slots}.
     */
    static RawBsonDocument toDocument(long id, AppendRecord record, boolean documents, Date createdAt, int slots) {
        BasicOutputBuffer buffer = encode(id, record, documents, createdAt, slots);
        return new RawBsonDocument(buffer.getInternalBuffer(), 0, buffer.getPosition());
    }

    /** Rewrites the {@code _id} of a document {@link #encode} wrote (an Int64, little-endian, first field). */
    static void setId(byte[] document, long id) {
        for (int i = 0; i < Long.BYTES; i++) {
            document[ID_OFFSET + i] = (byte) (id >>> (8 * i));
        }
    }

    /** {@link #toDocument}'s bytes: {@code _id} first, as an Int64 at {@link #ID_OFFSET}, so {@link #setId} can change it. */
    private static BasicOutputBuffer encode(long id, AppendRecord record, boolean documents, Date createdAt, int slots) {
        byte[] payload = record.payload();
        // BSON of a JSON object is up to about twice its text (8-byte numbers, array index names): one allocation
        BasicOutputBuffer buffer = new BasicOutputBuffer((documents && record.jsonPayload() ? 2 : 1) * payload.length + 256);
        try (BsonBinaryWriter writer = new BsonBinaryWriter(buffer)) {
            writer.writeStartDocument();
            writer.writeInt64(ID, id);
            writer.writeString(SHARDING_KEY, record.shardingKey());
            writer.writeInt32(MongoGroups.SLOT, Slots.slotOf(record.shardingKey(), slots));
            record.logCompactId().ifPresent(compactId -> writer.writeString(LOG_COMPACT_ID, compactId));
            if (!record.headers().isEmpty()) {
                // header names may contain dots ("streamable.x"), which MongoDB field names should not
                writer.writeStartArray(HEADERS);
                record.headers().forEach((key, value) -> {
                    writer.writeStartDocument();
                    writer.writeString("n", key);
                    writer.writeString("v", value);
                    writer.writeEndDocument();
                });
                writer.writeEndArray();
            }
            boolean embedded = false;
            if (documents && record.jsonPayload()) {
                writer.mark();
                writer.writeName(PAYLOAD);
                embedded = JsonBson.writeDocument(payload, writer);
                if (!embedded) {
                    writer.reset(); // back to before the payload's name: BinData instead
                }
            }
            if (!embedded) {
                writer.writeBinaryData(PAYLOAD, new BsonBinary(payload));
            }
            writer.writeDateTime(CREATED_AT, createdAt.getTime());
            writer.writeEndDocument();
        }
        return buffer;
    }

    /**
     * The record a document holds, or a {@linkplain StoredRecord#malformed malformed} record saying
     * what is wrong when it is not in this backend's shape (another program's document, a field
     * missing or of the wrong type): the consumer's failure policy handles it, the reader goes on.
     */
    static StoredRecord toRecord(long id, Document document) {
        Position position = Position.of(id);
        Object created = document.get(CREATED_AT);
        Instant createdAt = created instanceof Date date ? date.toInstant() : Instant.EPOCH;
        Object key = document.get(SHARDING_KEY);
        String shardingKey = key instanceof String text ? text : "";
        if (!(key instanceof String)) {
            return malformed(position, createdAt, shardingKey, field(SHARDING_KEY, key, "a string"));
        }
        if (!(created instanceof Date)) {
            return malformed(position, createdAt, shardingKey, field(CREATED_AT, created, "a date"));
        }
        Object compactId = document.get(LOG_COMPACT_ID);
        if (compactId != null && !(compactId instanceof String)) {
            return malformed(position, createdAt, shardingKey, field(LOG_COMPACT_ID, compactId, "a string"));
        }
        Map<String, String> headers = Map.of();
        Object stored = document.get(HEADERS);
        if (stored != null) {
            if (!(stored instanceof List<?> list)) {
                return malformed(position, createdAt, shardingKey, field(HEADERS, stored, "an array of {n, v}"));
            }
            headers = new LinkedHashMap<>();
            for (int i = 0; i < list.size(); i++) {
                String headerName = headerField(list.get(i), "n");
                String headerValue = headerField(list.get(i), "v");
                if (headerName == null || headerValue == null) {
                    return malformed(position, createdAt, shardingKey, "header " + (i + 1) + " is not {n: string,"
                            + " v: string}");
                }
                headers.put(headerName, headerValue);
            }
        }
        Object payload = document.get(PAYLOAD);
        byte[] bytes;
        if (payload instanceof Binary binary) {
            bytes = binary.getData();
        } else if (payload instanceof byte[] raw) {
            bytes = raw;
        } else if (payload instanceof RawBsonDocument embedded) {
            // a JSON payload this backend stored as a document, or the TypeScript prototype's payload
            // (readers decode embedded documents raw: no tree, streamed to JSON)
            bytes = JsonBson.toJson(embedded);
        } else if (payload instanceof Document embedded) {
            bytes = JsonBson.toJson(embedded);
        } else {
            return malformed(position, createdAt, shardingKey, field(PAYLOAD, payload,
                    "an embedded document or binary data (BinData)"));
        }
        return new StoredRecord(position, createdAt, shardingKey, Optional.ofNullable((String) compactId), headers, bytes);
    }

    /** A header's name or value: readers decode embedded documents raw, other callers as a Document. */
    private static String headerField(Object header, String field) {
        if (header instanceof RawBsonDocument raw) {
            BsonValue value = raw.get(field);
            return value != null && value.isString() ? value.asString().getValue() : null;
        }
        return header instanceof Document document && document.get(field) instanceof String text ? text : null;
    }

    private static StoredRecord malformed(Position position, Instant createdAt, String key, String defect) {
        return StoredRecord.malformed(position, createdAt, key, "not a record in this backend's shape: " + defect);
    }

    private static String field(String name, Object value, String expected) {
        return value == null ? "it has no " + name + " field" : "its " + name + " is " + bsonType(value) + ", not "
                + expected;
    }

    private static String bsonType(Object value) {
        if (value instanceof Document) {
            return "an embedded document";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Boolean) {
            return "a boolean";
        } else if (value instanceof Binary || value instanceof byte[]) {
            return "binary data";
        }
        return "a " + value.getClass().getSimpleName();
    }

    /** A sharding key and a compaction id: compaction works within the pair. */
    private record CompactionKey(String shardingKey, String logCompactId) {
    }

    /**
     * Turns the records the appended ones make redundant into stubs: same sharding key, same
     * compaction id, lower id. An update, never a delete, so the ids stay taken (see the class
     * javadoc). Runs after the insert is durable; a failure only delays it until the pair's next
     * append, so it is logged, not thrown.
     */
    private void compact(List<AppendRecord> records, long[] ids) {
        Map<CompactionKey, Long> newest = null;
        for (int i = 0; i < records.size(); i++) {
            AppendRecord record = records.get(i);
            if (record.logCompactId().isPresent()) {
                if (newest == null) {
                    newest = new LinkedHashMap<>();
                }
                newest.merge(new CompactionKey(record.shardingKey(), record.logCompactId().get()), ids[i], Math::max);
            }
        }
        if (newest == null) {
            return;
        }
        List<WriteModel<Document>> stubs = new ArrayList<>(newest.size());
        newest.forEach((pair, keep) -> stubs.add(new UpdateManyModel<>(
                Filters.and(Filters.eq(LOG_COMPACT_ID, pair.logCompactId()), Filters.eq(SHARDING_KEY, pair.shardingKey()),
                        Filters.lt(ID, keep)),
                STUB)));
        try {
            collection.bulkWrite(stubs, new BulkWriteOptions().ordered(false));
        } catch (MongoException e) {
            LOG.warn("Compacting topic \"{}\" failed ({}); the older records stay until their id is appended again",
                    name, e.toString());
        }
    }

    private static final Bson STUB = Updates.combine(Updates.unset(PAYLOAD), Updates.unset(HEADERS),
            Updates.unset(LOG_COMPACT_ID), Updates.set(COMPACTED, true));

    private void failQueued(RuntimeException cause) {
        PendingAppend pending;
        while ((pending = queue.poll()) != null) {
            pending.result().completeExceptionally(cause);
        }
    }

    void failPending() {
        PendingAppend pending;
        while ((pending = queue.poll()) != null) {
            pending.result().completeExceptionally(new IllegalStateException("The mongoredis backend "
                    + backend.describe() + " closed before the append to \"" + name + "\" ran; it was not stored"));
        }
    }

    // ---------------------------------------------------------------- readers and bookkeeping

    @Override
    public TopicReader openReader(ReaderSpec spec) {
        return MongoTopicReader.open(backend, this, spec);
    }

    @Override
    public GroupMemberReader joinGroup(ReaderSpec spec, RebalanceListener listener) {
        return MongoGroupReader.join(backend, this, spec, listener);
    }

    @Override
    public Optional<GroupDescription> describeGroup(String consumerName) {
        return MongoGroups.describe(backend, this, consumerName);
    }

    String positionKey(String consumerName) {
        // topic names cannot contain '/', so the first '/' separates topic and consumer
        return name + "/" + consumerName;
    }

    @Override
    public Optional<Position> head() {
        try {
            long maxId = maxId();
            return maxId == 0 ? Optional.empty() : Optional.of(Position.of(maxId));
        } catch (MongoException e) {
            throw backend.failure("reading the head of topic \"" + name + "\"", e);
        }
    }

    @Override
    public Optional<Position> savedPosition(String consumerName) {
        try {
            Document saved = backend.positions().find(Filters.eq(ID, positionKey(consumerName))).first();
            long offset = saved != null && saved.get("offset") instanceof Number number ? number.longValue() : 0;
            // a group's slots have handled at least what the name saved before they started
            OptionalLong group = MongoGroups.lowestCommitted(backend, this, consumerName);
            if (group.isPresent()) {
                offset = Math.max(offset, group.getAsLong());
            }
            // 0: the name was first used at the beginning and has handled nothing yet
            return offset > 0 ? Optional.of(Position.of(offset)) : Optional.empty();
        } catch (MongoException e) {
            throw backend.failure("reading the position of consumer \"" + consumerName + "\" on topic \""
                    + name + "\"", e);
        }
    }

    @Override
    public Set<String> consumerNames() {
        try {
            Set<String> names = new TreeSet<>();
            for (Document document : backend.positions().find(Filters.eq("topic", name))
                    .projection(Projections.include("consumer"))) {
                names.add(document.getString("consumer"));
            }
            return names;
        } catch (MongoException e) {
            throw backend.failure("listing the consumers of topic \"" + name + "\"", e);
        }
    }

    @Override
    public long lag(Optional<Position> position) {
        try {
            // From positions: ids are dense, so after the offset lie head - offset ids, less the stubs
            // among them (counted on the stubs index, not by reading documents). Stubs first, head
            // second: every stub counted lies below the head read after it, and a record stubbed in
            // between is not subtracted, so the lag can only be too high for a moment, never 0 while
            // a record after the offset is neither handled nor superseded by one that was.
            // only what is still stored counts: ids below the low-water mark are gone or going
            long after = Math.max(position.map(this::offsetOf).orElse(0L), retention.lowWater() - 1);
            long stubs = primary.countDocuments(Filters.and(Filters.eq(COMPACTED, true), Filters.gt(ID, after)));
            long head = maxId();
            return Math.max(0, head - after - stubs);
        } catch (MongoException e) {
            throw backend.failure("counting the lag on topic \"" + name + "\"", e);
        }
    }

    long offsetOf(Position position) {
        if (!position.isSingleLog()) {
            throw new IllegalArgumentException("Position " + position + " spans partitions, but topic \"" + name
                    + "\" on mongoredis is a single log; use a position such as \"42\"");
        }
        return position.offset();
    }

    @Override
    public void resetPosition(String consumerName, Optional<Position> position) {
        MongoTopicReader.changeOffline(backend, this, consumerName, OptionalLong.of(position.map(this::offsetOf).orElse(0L)));
    }

    @Override
    public void deleteConsumer(String consumerName) {
        MongoTopicReader.changeOffline(backend, this, consumerName, OptionalLong.empty());
    }

    /**
     * Drops the topic's collection, positions and leases' holders (see
     * {@link MongoTopicReader#releaseAllOffline}). This process's producers claim from 1 again;
     * another process still writing to the topic would claim after its cached head and leave a
     * gap readers report, so delete a topic only while nothing writes to it.
     */
    void delete() {
        try {
            MongoTopicReader.releaseAllOffline(backend, name);
            collection.drop();
            retention.delete();
            backend.positions().deleteMany(Filters.eq("topic", name));
            MongoGroups.deleteAll(backend, name);
            indexed = false;
            slotCount = 0; // a topic created again records its count anew
            forgetHead();
        } catch (MongoException e) {
            throw backend.failure("deleting topic \"" + name + "\"", e);
        }
    }

    static ConsumerNameInUseException nameInUse(String topic, String consumerName) {
        return new ConsumerNameInUseException(topic, consumerName);
    }

    @Override
    public String toString() {
        return "MongoTopicStore[" + name + " @ " + backend.describe() + "]";
    }

    /**
     * A low-water mark this store read and the monotonic time taken before that read was sent.
     *
     * @param mark           the mark read, 0 for none yet
     * @param readStartNanos {@link System#nanoTime()} (or the test ticker) before the read
     */
    private record MarkSeen(long mark, long readStartNanos) {
        static final MarkSeen NONE = new MarkSeen(0, 0);
    }
}
