package io.streamable.backend.mongoredis;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.model.Accumulators;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import com.mongodb.client.result.UpdateResult;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.StoredRecord;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One member of a consumer group on MongoDB ({@link MongoGroups} describes the group document).
 *
 * <h2>Coordination</h2>
 * Membership changes (joins, leaves, expired members removed) are written to the group document
 * and announced on Redis ({@code streamable:<database>:<topic>/<name>}); members of this process
 * are woken directly. A woken member <em>reconciles</em> on its reading thread, inside
 * {@link #read}: it renews its entry (which returns the document and the server's time), removes
 * members whose lease expired, writes the target assignment once membership has been still for
 * the debounce (the URL's {@code rebalanceDelay}, 750 ms by default, judged by the server's clock
 * from the last membership change; at once when it is alone), and then moves towards the target:
 * releasing slots it should give up and taking free slots meant for it, each only after its
 * {@link RebalanceListener} returned. Without a signal it reconciles at the latest at its
 * heartbeat (a third of the lease TTL), and at the moment the debounce ends or another member's
 * lease runs out.
 *
 * <h2>Reading</h2>
 * A member reads only its slots: {@code find(_id in (scan, head], slot in (mine, null))} on the
 * {@code (slot, _id)} index ({@code null} brings documents written before the slot field, whose
 * slot is computed from the key). The dense-ids invariant is checked before each query: the ids
 * from the scan point to the majority head must all be there (one aggregation on the {@code _id}
 * index counts the ids from the scan point and takes their maximum, the head), so a member never
 * passes a record that was not yet visible, and a hole that does not close within the grace is
 * reported as lost data, as an exclusive reader reports it.
 */
final class MongoGroupReader implements GroupMemberReader {
    private static final Logger LOG = LoggerFactory.getLogger(MongoGroupReader.class);
    private static final int JOIN_ATTEMPTS = 20;
    private static final long GAP_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Fields of the head-and-density aggregation's result. */
    private static final String STORED = "stored";
    private static final String HEAD = "head";
    /**
     * At the head a member looks again at most this often, however many signals arrive: each look
     * is three index lookups (head, density count, slot query) instead of an exclusive reader's one.
     */
    private static final long MIN_FETCH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final FindOneAndUpdateOptions AFTER = new FindOneAndUpdateOptions()
            .returnDocument(ReturnDocument.AFTER);

    private final MongoRedisBackend backend;
    private final MongoTopicStore store;
    private final String name;
    private final String key;
    private final String owner = UUID.randomUUID().toString();
    private final long nameEpoch;
    private final long id;
    private final long ttlMillis;
    private final RebalanceListener listener;
    private final long safetyPollNanos;
    private final long trustedLeaseNanos;
    /**
     * How long membership must be still before the slots are reassigned: this connection's
     * {@code rebalanceDelay}. Members of connections with different values each apply their own;
     * the first whose delay has passed writes the targets.
     */
    private final long debounceMillis;
    /** The topic's slot count, which the group document was created with. */
    private final int slotCount;
    private final Object monitor = new Object();
    /** Guards the slot state against a commit or close from another thread. */
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean closed = new AtomicBoolean();

    // guarded by monitor
    private boolean signalled = true;
    private boolean wokenUp;
    private long lastFetchNanos = System.nanoTime();
    /** Whether the last fetch found this member at the head of its share; guarded by the monitor. */
    private boolean headSeen;

    /** Set when the group may have changed: the next read reconciles. */
    private volatile boolean stale = true;
    /** Local time at which the next group event (debounce end, another member's expiry) is due. */
    private volatile long nextEventNanos = Long.MAX_VALUE;
    private volatile long knownVersion = -1;
    private volatile ConsumerFencedException fenced;
    private volatile long renewedAtNanos;
    private volatile boolean suspended;
    private volatile Set<Integer> snapshot = Set.of();
    private Optional<Position> startPosition = Optional.empty();

    // slot state, under lock (read, apply, commit)
    private final boolean[] owned;
    /** Per owned slot, the lowest id still to deliver. */
    private final long[] floor;
    /** Every record of an owned slot up to here was delivered (or is at or below the slot's committed offset). */
    private long scan;
    /** Whether retention removed the record at {@link #scan}: the dense check then starts after it. */
    private boolean scanRemoved;
    /** Whether this member has handed out a record: until then a slot never committed starts at the oldest kept silently. */
    private boolean delivered;
    /** Positions retention removed before this member read them, taken by the reading thread. */
    private final List<RetentionGap> gaps = new ArrayList<>(0);
    /** The scan over the owned slots: one cursor while behind, up to the head it was opened at. */
    private final MongoScan documents;
    private long cursorEnd;
    private long gapSinceNanos;

    private MongoGroupReader(MongoRedisBackend backend, MongoTopicStore store, String name, long nameEpoch, long id,
                             RebalanceListener listener, int slotCount) {
        this.backend = backend;
        this.slotCount = slotCount;
        this.owned = new boolean[slotCount];
        this.floor = new long[slotCount];
        this.debounceMillis = backend.settings.groups().rebalanceDelay().toMillis();
        this.store = store;
        this.documents = new MongoScan(store);
        this.name = name;
        this.key = store.positionKey(name);
        this.nameEpoch = nameEpoch;
        this.id = id;
        this.listener = listener;
        this.ttlMillis = backend.settings.leaseTtl().toMillis();
        this.safetyPollNanos = backend.settings.safetyPoll().toNanos();
        long ttl = backend.settings.leaseTtl().toNanos();
        this.trustedLeaseNanos = ttl - Math.max(ttl / 5, TimeUnit.MILLISECONDS.toNanos(50));
        this.renewedAtNanos = System.nanoTime();
    }

    /** Joins the group of {@code spec}'s name; see {@link io.streamable.backend.ConsumerGroups#joinGroup}. */
    static MongoGroupReader join(MongoRedisBackend backend, MongoTopicStore store, ReaderSpec spec,
                                 RebalanceListener listener) {
        Objects.requireNonNull(listener, "listener");
        String name = spec.consumerName().orElseThrow(() -> new IllegalArgumentException("joinGroup needs a named"
                + " ReaderSpec (ReaderSpec.named): a consumer group is a consumer name"));
        long start = spec.start() instanceof StartFrom.After after ? store.offsetOf(after.position()) : 0;
        try {
            store.checkReadable(); // no index on another program's collection: they come with this process's first append
            int slotCount = store.slotCount(); // recorded now if the topic is new: its appends compute slots for it
            for (int attempt = 1; ; attempt++) {
                MongoGroups.Hold hold = MongoGroups.holdName(backend, store, name);
                if (hold.newGeneration()) {
                    MongoGroups.startGeneration(backend, store, name, hold.epoch(), start, slotCount);
                }
                MongoGroupReader member = new MongoGroupReader(backend, store, name, hold.epoch(), hold.memberId(),
                        listener, slotCount);
                if (member.enter()) {
                    backend.register(member);
                    try {
                        member.joined();
                    } catch (RuntimeException e) {
                        member.close();
                        throw e;
                    }
                    return member;
                }
                if (attempt == JOIN_ATTEMPTS) {
                    throw new StreamableException("Could not join consumer group \"" + name + "\" on topic \""
                            + store.name() + "\": the group's generation changed " + JOIN_ATTEMPTS + " times while"
                            + " joining. Something takes the name over and over; start the consumer again later.");
                }
            }
        } catch (MongoException e) {
            throw backend.failure("joining consumer group \"" + name + "\" on topic \"" + store.name() + "\"", e);
        }
    }

    /**
     * Adds this member's entry to the group document of its generation, then makes sure the
     * group still holds the name at that epoch. False when the generation changed meanwhile: the
     * caller joins again.
     */
    private boolean enter() {
        Document group = backend.groups().findOneAndUpdate(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                        Filters.eq(MongoGroups.NAME_EPOCH, nameEpoch)),
                Updates.combine(Updates.set(MongoGroups.member(id) + ".id", id),
                        Updates.set(MongoGroups.member(id) + "." + MongoGroups.OWNER, owner),
                        Updates.set(MongoGroups.member(id) + "." + MongoGroups.TTL_MS, ttlMillis),
                        Updates.set(MongoGroups.member(id) + "." + MongoGroups.RENEWALS, 0L),
                        Updates.currentDate(MongoGroups.member(id) + "." + MongoGroups.RENEWED_AT),
                        Updates.currentDate(MongoGroups.CHANGED_AT), Updates.set(MongoGroups.PENDING, true),
                        Updates.inc(MongoGroups.VERSION, 1L)), AFTER);
        if (group == null) {
            return false;
        }
        MongoGroups.requireSlotCount(group, store, name, slotCount);
        if (!renewName()) {
            leave();
            return false;
        }
        return true;
    }

    /** Right after joining: alone, it takes every slot before returning (no listener needed: nothing was handed out). */
    private void joined() {
        lock.lock();
        try {
            Rebalance change = reconcile();
            if (change != null && change.revoked().isEmpty()) {
                apply(change);
            }
            long lowest = Long.MAX_VALUE;
            for (int slot = 0; slot < owned.length; slot++) {
                if (owned[slot]) {
                    lowest = Math.min(lowest, floor[slot] - 1);
                }
            }
            startPosition = lowest == Long.MAX_VALUE || lowest <= 0 ? Optional.empty() : Optional.of(Position.of(lowest));
        } finally {
            lock.unlock();
        }
        backend.groupChanged(key);
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
                throw new IllegalStateException("This " + this + " is closed (its backend " + backend.describe()
                        + " may have been closed); join the group again");
            }
            checkFenced();
            boolean trusted = System.nanoTime() - renewedAtNanos < trustedLeaseNanos;
            if (!trusted && suspended()) {
                // a paused process delivers nothing; it only learns whether it was removed
                checkMembership();
                if (waitUntil(deadline, GAP_RETRY_NANOS)) {
                    return new ReadBatch(List.of(), false);
                }
                continue;
            }
            if (stale || !trusted || System.nanoTime() - nextEventNanos >= 0) {
                Rebalance change;
                lock.lock();
                try {
                    change = reconcile();
                } finally {
                    lock.unlock();
                }
                if (change != null) {
                    // the barrier: the listener finishes and commits what it was handed before the slots move
                    listener.beforeRebalance(change);
                    if (closed.get()) {
                        return ReadBatch.empty(); // closed while the listener ran: leaving freed the slots
                    }
                    lock.lock();
                    try {
                        apply(change);
                    } finally {
                        lock.unlock();
                    }
                    // no more waiting in this read: it returns what is due now, so the caller sees its
                    // new slots (Consumer.assignment, onAssignmentChange) at once, also when idle
                    deadline = System.nanoTime();
                    continue;
                }
            }
            synchronized (monitor) {
                if (wokenUp) {
                    wokenUp = false;
                    return new ReadBatch(List.of(), false);
                }
                long now = System.nanoTime();
                long poll = gapSinceNanos != 0 ? GAP_RETRY_NANOS : safetyPollNanos;
                long sinceFetch = now - lastFetchNanos;
                boolean due = signalled && sinceFetch >= MIN_FETCH_INTERVAL_NANOS || documents.isOpen() || sinceFetch >= poll;
                if (!due) {
                    if (now - deadline >= 0) {
                        // at the head only if the last fetch found it and no signal came since: the
                        // first read may come within the minimum interval, before any fetch
                        return new ReadBatch(List.of(), headSeen && !signalled);
                    }
                    long until = Math.min(deadline - now, (signalled ? MIN_FETCH_INTERVAL_NANOS : poll) - sinceFetch);
                    until = Math.min(until, Math.max(0, nextEventNanos - now));
                    if (!stale) {
                        TimeUnit.NANOSECONDS.timedWait(monitor, Math.max(until, 1));
                    }
                    continue;
                }
                signalled = false;
                lastFetchNanos = now;
            }
            ReadBatch batch;
            lock.lock();
            try {
                batch = fetch(max);
            } finally {
                lock.unlock();
            }
            synchronized (monitor) {
                headSeen = batch.caughtUp();
            }
            if (!batch.records().isEmpty() || !batch.caughtUp()) {
                return batch;
            }
        }
    }

    /** Waits on the monitor up to {@code nanos} or the deadline; true when the deadline passed. */
    private boolean waitUntil(long deadline, long nanos) throws InterruptedException {
        synchronized (monitor) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || wokenUp) {
                wokenUp = false;
                return true;
            }
            TimeUnit.NANOSECONDS.timedWait(monitor, Math.min(left, nanos));
            return false;
        }
    }

    private void checkFenced() {
        ConsumerFencedException lost = fenced;
        if (lost != null) {
            throw lost;
        }
    }

    private boolean suspended() {
        return suspended || backend.isSuspended();
    }

    /**
     * Renews this member, removes expired members, writes the target assignment when due, and
     * returns the change this member should make now (or null). Under the lock.
     */
    private Rebalance reconcile() {
        stale = false;
        Document document;
        try {
            document = renewSelf();
            if (document == null) {
                throw fence(describeLoss());
            }
            MongoGroups.View view = MongoGroups.View.of(document);
            if (view.slotCount() != slotCount) {
                // only a document replaced under this generation by hand: its slots name other keys
                throw fence("the group's document now has " + view.slotCount() + " slots, this member joined with "
                        + slotCount);
            }
            Date now = view.members().get(id).renewedAt();
            for (int round = 0; round < 4; round++) {
                boolean changed = false;
                for (MongoGroups.MemberEntry other : view.members().values()) {
                    if (other.id() != id && other.expiredAt(now)) {
                        changed |= expire(view, other);
                    }
                }
                for (int slot = 0; slot < slotCount; slot++) {
                    long holder = view.owner()[slot];
                    if (holder != 0 && !view.members().containsKey(holder)) {
                        // owned by a member that left while it was taking the slot: free it
                        backend.groups().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                                        Filters.eq(MongoGroups.NAME_EPOCH, nameEpoch),
                                        Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, holder),
                                        Filters.exists(MongoGroups.member(holder), false)),
                                Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, null));
                        changed = true;
                    }
                }
                List<MongoGroups.MemberEntry> live = view.live(now);
                if (view.pending() && (live.size() == 1 || now.getTime() - view.changedAt().getTime() >= debounceMillis)) {
                    changed |= writeTargets(view, live);
                }
                if (!changed) {
                    break;
                }
                Document reread = backend.groups().find(Filters.eq(MongoTopicStore.ID, key)).first();
                if (reread == null || MongoGroups.number(reread.get(MongoGroups.NAME_EPOCH), 0) != nameEpoch
                        || !MongoGroups.View.of(reread).members().containsKey(id)
                        || MongoGroups.View.of(reread).slotCount() != slotCount) {
                    throw fence(describeLoss());
                }
                view = MongoGroups.View.of(reread);
            }
            knownVersion = view.version();
            lastTarget = view.target().clone();
            assignmentPending = view.pending();
            holdsShare = settled();
            scheduleNextEvent(view, now);
            return changeFor(view);
        } catch (MongoException e) {
            stale = true;
            throw backend.failure("coordinating consumer group \"" + name + "\" on topic \"" + store.name() + "\"", e);
        }
    }

    /** When the next group event is due, in local time: the debounce's end, or another member's expiry. */
    private void scheduleNextEvent(MongoGroups.View view, Date now) {
        long next = Long.MAX_VALUE;
        if (view.pending()) {
            next = view.changedAt().getTime() + debounceMillis - now.getTime();
        }
        for (MongoGroups.MemberEntry other : view.members().values()) {
            if (other.id() != id) {
                next = Math.min(next, other.renewedAt().getTime() + other.ttlMs() + 1 - now.getTime());
            }
        }
        nextEventNanos = next == Long.MAX_VALUE ? Long.MAX_VALUE
                : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, next) + 5);
    }

    /** Removes an expired member, if it has not renewed since and still owns what it owned. */
    private boolean expire(MongoGroups.View view, MongoGroups.MemberEntry other) {
        List<Bson> filter = new ArrayList<>(List.of(Filters.eq(MongoTopicStore.ID, key),
                Filters.eq(MongoGroups.NAME_EPOCH, nameEpoch),
                Filters.eq(MongoGroups.member(other.id()) + "." + MongoGroups.RENEWALS, other.renewals())));
        List<Bson> updates = new ArrayList<>(List.of(Updates.unset(MongoGroups.member(other.id())),
                Updates.set(MongoGroups.PENDING, true), Updates.currentDate(MongoGroups.CHANGED_AT),
                Updates.inc(MongoGroups.VERSION, 1L)));
        for (int slot : view.ownedBy(other.id())) {
            filter.add(Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, other.id()));
            updates.add(Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, null));
        }
        UpdateResult result = backend.groups().updateOne(Filters.and(filter), Updates.combine(updates));
        if (result.getModifiedCount() > 0) {
            LOG.info("Consumer group \"{}\" of topic \"{}\": member {} removed, its lease expired; its slots {} move",
                    name, store.name(), other.id(), view.ownedBy(other.id()));
            backend.groupChanged(key);
        }
        return true; // changed or raced: look again either way
    }

    /** Writes the balanced, sticky target assignment, if membership is still what it was computed from. */
    private boolean writeTargets(MongoGroups.View view, List<MongoGroups.MemberEntry> live) {
        long[] targets = MongoGroups.assign(view.target(), live.stream().map(MongoGroups.MemberEntry::id).toList());
        List<Bson> updates = new ArrayList<>(List.of(Updates.set(MongoGroups.PENDING, false),
                Updates.inc(MongoGroups.VERSION, 1L)));
        for (int slot = 0; slot < targets.length; slot++) {
            updates.add(Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.TARGET,
                    targets[slot] == 0 ? null : targets[slot]));
        }
        UpdateResult result = backend.groups().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                        Filters.eq(MongoGroups.NAME_EPOCH, nameEpoch), Filters.eq(MongoGroups.VERSION, view.version()),
                        Filters.eq(MongoGroups.PENDING, true)), Updates.combine(updates));
        if (result.getModifiedCount() > 0) {
            backend.groupChanged(key);
        }
        return true;
    }

    /** The slots this member owns that its target no longer has, and the free ones its target has. Under the lock. */
    private Rebalance changeFor(MongoGroups.View view) {
        Set<Integer> revoked = new TreeSet<>();
        Set<Integer> assigned = new TreeSet<>();
        boolean rewinds = false;
        boolean ownsAny = false;
        for (int slot = 0; slot < owned.length; slot++) {
            ownsAny |= owned[slot];
        }
        for (int slot = 0; slot < owned.length; slot++) {
            if (owned[slot] && view.target()[slot] != id) {
                revoked.add(slot);
            } else if (!owned[slot] && view.target()[slot] == id && view.owner()[slot] == 0) {
                assigned.add(slot);
                // read again from below where this member's reads stand: positions go back
                rewinds |= ownsAny && view.committed()[slot] < scan;
            }
        }
        if (revoked.isEmpty() && assigned.isEmpty()) {
            return null;
        }
        return new Rebalance(revoked, assigned, slotCount, rewinds);
    }

    /** Releases the revoked slots and takes those assigned that are still free and meant for this member. Under the lock. */
    private void apply(Rebalance change) {
        try {
            if (!change.revoked().isEmpty()) {
                List<Bson> filter = memberFilter();
                List<Bson> updates = new ArrayList<>();
                for (int slot : change.revoked()) {
                    filter.add(Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, id));
                    updates.add(Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, null));
                }
                if (backend.groups().updateOne(Filters.and(filter), Updates.combine(updates)).getMatchedCount() == 0) {
                    throw fence(describeLoss());
                }
                change.revoked().forEach(slot -> owned[slot] = false);
                backend.groupChanged(key); // the slots' new owners take them now
            }
            // slots it keeps: their records up to the scan were handed out before the change
            for (int slot = 0; slot < owned.length; slot++) {
                if (owned[slot]) {
                    floor[slot] = Math.max(floor[slot], scan + 1);
                }
            }
            if (!change.assigned().isEmpty()) {
                Document taken = take(change.assigned());
                if (taken == null) {
                    // some were taken or retargeted meanwhile: take those still free one by one
                    for (int slot : change.assigned()) {
                        Document one = take(Set.of(slot));
                        if (one != null) {
                            taken = one;
                        }
                    }
                }
                if (taken != null) {
                    MongoGroups.View view = MongoGroups.View.of(taken);
                    for (int slot : change.assigned()) {
                        if (view.owner()[slot] == id && !owned[slot]) {
                            owned[slot] = true;
                            floor[slot] = view.committed()[slot] + 1;
                        }
                    }
                }
            }
            rescan();
            holdsShare = settled();
            stale = true; // look again: more may be meant for this member, or freed since
        } catch (MongoException e) {
            stale = true;
            throw backend.failure("rebalancing consumer group \"" + name + "\" on topic \"" + store.name() + "\"", e);
        }
    }

    private Document take(Set<Integer> slots) {
        List<Bson> filter = memberFilter();
        List<Bson> updates = new ArrayList<>();
        for (int slot : slots) {
            filter.add(Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, null));
            filter.add(Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.TARGET, id));
            updates.add(Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, id));
        }
        return backend.groups().findOneAndUpdate(Filters.and(filter), Updates.combine(updates), AFTER);
    }

    /** The target assignment and whether a new one is due, as of the last reconcile. Under the lock. */
    private long[] lastTarget;
    private boolean assignmentPending = true;
    /** {@link #settled()} as of the last reconcile or rebalance, for reads that do not take the lock. */
    private volatile boolean holdsShare;

    /** Restarts the scan at the lowest floor and refreshes what {@link #slots()} returns. Under the lock. */
    private void rescan() {
        documents.close();
        long lowest = Long.MAX_VALUE;
        Set<Integer> slots = new TreeSet<>();
        for (int slot = 0; slot < owned.length; slot++) {
            if (owned[slot]) {
                lowest = Math.min(lowest, floor[slot] - 1);
                slots.add(slot);
            }
        }
        if (lowest != Long.MAX_VALUE) {
            scan = Math.max(0, lowest);
            scanRemoved = false;
        }
        gapSinceNanos = 0;
        snapshot = Set.copyOf(slots);
        synchronized (monitor) {
            signalled = true;
        }
    }

    private List<Bson> memberFilter() {
        return new ArrayList<>(List.of(Filters.eq(MongoTopicStore.ID, key), Filters.eq(MongoGroups.NAME_EPOCH, nameEpoch),
                Filters.eq(MongoGroups.member(id) + "." + MongoGroups.OWNER, owner)));
    }

    /** Reads the next records of the owned slots. Under the lock. */
    private ReadBatch fetch(int max) throws InterruptedException {
        if (closed.get()) {
            return new ReadBatch(List.of(), false);
        }
        if (snapshot.isEmpty()) {
            // a member without slots is caught up once that is its share (more members than slots)
            return new ReadBatch(List.of(), holdsShare);
        }
        MongoScan.Batch batch;
        try {
            if (!documents.isOpen()) {
                long from = scanRemoved ? scan + 1 : Math.max(scan, 1);
                // the head and the density check in one round trip: {$match: _id >= from}, {$group: count, max}
                Document stored = store.collection().aggregate(List.of(
                        Aggregates.match(Filters.gte(MongoTopicStore.ID, from)),
                        Aggregates.group(null, Accumulators.sum(STORED, 1), Accumulators.max(HEAD, "$" + MongoTopicStore.ID))))
                        .first();
                long head = stored == null ? 0
                        : Math.max(0, MongoTopicStore.idOf(new Document(MongoTopicStore.ID, stored.get(HEAD))));
                if (head <= scan) {
                    return new ReadBatch(List.of(), holdsShare);
                }
                if (!dense(from, head, MongoGroups.number(stored.get(STORED), 0))) {
                    return new ReadBatch(List.of(), false);
                }
                Bson range = Filters.and(Filters.gt(MongoTopicStore.ID, scan), Filters.lte(MongoTopicStore.ID, head));
                if (snapshot.size() < slotCount) {
                    List<Object> slots = new ArrayList<>(snapshot);
                    slots.add(null); // documents written before the slot field: their slot is computed below
                    range = Filters.and(range, Filters.in(MongoGroups.SLOT, slots));
                } // a member that owns every slot reads the _id range alone, as an exclusive reader does
                documents.open(range, max);
                cursorEnd = head;
            }
            batch = documents.next(max, this::visit);
        } catch (MongoInterruptedException | InterruptedException e) {
            InterruptedException interrupted = new InterruptedException("Interrupted while reading topic \""
                    + store.name() + "\"");
            interrupted.initCause(e instanceof InterruptedException ? e.getCause() : e);
            throw interrupted;
        } catch (MongoException e) {
            documents.close();
            synchronized (monitor) {
                signalled = true;
            }
            throw backend.failure("reading topic \"" + store.name() + "\"", e);
        }
        if (batch.end() == MongoScan.End.FAILED) {
            synchronized (monitor) {
                signalled = true; // read again at once; the failure shows then if it lasts
            }
        }
        boolean exhausted = batch.end() == MongoScan.End.EXHAUSTED;
        if (exhausted && cursorEnd > scan) {
            scan = cursorEnd;
            scanRemoved = false; // cursorEnd was the head, found dense: stored
        }
        if (!batch.records().isEmpty()) {
            delivered = true;
        }
        return new ReadBatch(batch.records(), exhausted && holdsShare);
    }

    /**
     * Every id the query returns is stored (the range was found dense): the scan point moves over
     * it, and it is delivered if it is a record of an owned slot not yet handed out. Under the lock.
     */
    private MongoScan.Verdict visit(MongoScan.Scanned document) {
        long position = document.id();
        if (position <= scan) {
            return MongoScan.Verdict.PASS;
        }
        scan = position;
        scanRemoved = false;
        int slot = document.slot(slotCount);
        if (!owned[slot] || position < floor[slot] || document.isStub()) {
            return MongoScan.Verdict.PASS;
        }
        return MongoScan.Verdict.DELIVER;
    }

    /**
     * Whether this member owns exactly its share of an assignment computed with it. One that joined
     * beside a holder (a crashed one whose lease has not expired yet, say) has read nothing of its
     * share until it gets it, so it is not caught up before. Under the lock.
     */
    private boolean settled() {
        if (assignmentPending || lastTarget == null) {
            return false;
        }
        for (int slot = 0; slot < owned.length; slot++) {
            if (owned[slot] != (lastTarget[slot] == id)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The ids are not dense from the scan point: if retention's low-water mark lies above it, the
     * hole is the removed prefix, so the scan moves to just below the mark and the positions an
     * owned slot still had to deliver are reported; true then. False when the mark does not explain it.
     * A slot never committed of a member that has delivered nothing starts at the oldest kept silently,
     * as a reader from the beginning does.
     */
    private boolean skipRemovedPrefix(long from) {
        long low = store.retentionPolicy().lowWater();
        if (low <= from) {
            return false;
        }
        long firstUnread = Long.MAX_VALUE;
        for (int slot = 0; slot < owned.length; slot++) {
            if (!owned[slot] || (floor[slot] <= 1 && !delivered)) {
                continue;
            }
            long unread = Math.max(floor[slot], scan + 1);
            if (unread < low) {
                firstUnread = Math.min(firstUnread, unread);
            }
        }
        if (firstUnread != Long.MAX_VALUE) {
            gaps.add(new RetentionGap(store.name(), 0, firstUnread, low));
        }
        scan = low - 1;
        scanRemoved = true;
        gapSinceNanos = 0;
        synchronized (monitor) {
            signalled = true; // read again at once, from the mark
        }
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
     * Whether every id from the scan point {@code from} (itself included, once past the beginning)
     * to {@code head} is stored, {@code count} being how many documents that range holds. A hole is
     * waited out for the grace, then reported as lost data.
     */
    private boolean dense(long from, long head, long count) {
        long expected = head - from + 1;
        if (count >= expected) {
            gapSinceNanos = 0;
            return true;
        }
        if (skipRemovedPrefix(from)) {
            return false; // retention removed the hole: the next fetch reads from the mark
        }
        long now = System.nanoTime();
        if (gapSinceNanos == 0) {
            gapSinceNanos = now;
        }
        if (now - gapSinceNanos < MongoTopicReader.GAP_GRACE_NANOS) {
            return false;
        }
        long missing = from;
        for (Document document : store.collection().find(Filters.and(Filters.gte(MongoTopicStore.ID, from),
                Filters.lte(MongoTopicStore.ID, head))).projection(Projections.include(MongoTopicStore.ID))
                .sort(Sorts.ascending(MongoTopicStore.ID))) {
            if (MongoTopicStore.idOf(document) != missing) {
                break;
            }
            missing++;
        }
        String what = scan > 0 && missing == scan
                ? "position " + scan + ", which this group member already returned or started after, is no longer stored"
                : "position " + missing + " is missing below the newest stored position " + head;
        throw new StreamableException("Topic \"" + store.name() + "\" on " + backend.describe() + ": " + what
                + ". Positions are never freed on this backend, so storage lost data (a restore, a dropped or edited"
                + " collection, a write rolled back without majority write concern). This member of consumer group \""
                + name + "\" stops rather than skip messages; check the MongoDB deployment, then reset the consumer to"
                + " a position you choose.");
    }

    // ---------------------------------------------------------------- lease

    /** Renews this member's entry (only while its lease runs, by the server's clock); the document, or null when lost. */
    private Document renewSelf() {
        if (suspended()) {
            Document document = backend.groups().find(Filters.and(memberFilter())).first();
            if (document == null) {
                return null;
            }
            return document;
        }
        long started = System.nanoTime();
        List<Bson> filter = memberFilter();
        filter.add(MongoGroups.memberLive(id));
        Document document = backend.groups().findOneAndUpdate(Filters.and(filter),
                Updates.combine(Updates.currentDate(MongoGroups.member(id) + "." + MongoGroups.RENEWED_AT),
                        Updates.inc(MongoGroups.member(id) + "." + MongoGroups.RENEWALS, 1L)), AFTER);
        if (document != null) {
            renewedAtNanos = started;
        }
        return document;
    }

    /**
     * Renews the group's hold on the name's lease at this generation's epoch; takes it back if the
     * last member released it meanwhile at the same epoch (nobody held it in between). False when
     * another holder has it.
     */
    private boolean renewName() {
        Bson id = Filters.eq(MongoTopicStore.ID, key);
        if (backend.leases().updateOne(Filters.and(id, Filters.eq(MongoGroups.OWNER, MongoGroups.GROUP_OWNER),
                Filters.eq(MongoGroups.EPOCH, nameEpoch)), Updates.currentDate(MongoGroups.RENEWED_AT)).getMatchedCount() == 1) {
            return true;
        }
        return backend.leases().updateOne(Filters.and(id, Filters.eq(MongoGroups.OWNER, null),
                        Filters.eq(MongoGroups.EPOCH, nameEpoch)),
                Updates.combine(Updates.set(MongoGroups.OWNER, MongoGroups.GROUP_OWNER),
                        Updates.currentDate(MongoGroups.RENEWED_AT))).getMatchedCount() == 1;
    }

    /** Called by the backend's heartbeat: renews the entry and the name's lease, and notices group changes. */
    void heartbeat() {
        if (closed.get() || fenced != null) {
            return;
        }
        if (suspended()) {
            checkMembership();
            return;
        }
        Document document = renewSelf();
        if (document == null) {
            fence(describeLoss());
            return;
        }
        if (!renewName()) {
            fence("the name's lease is now held by another reader (epoch " + currentLeaseEpoch() + ")");
            return;
        }
        MongoGroups.View view = MongoGroups.View.of(document);
        if (view.version() != knownVersion || view.pending()) {
            groupSignal();
        }
    }

    /** A paused member only checks whether it is still a member. */
    private void checkMembership() {
        try {
            if (backend.groups().find(Filters.and(memberFilter())).first() == null) {
                fence(describeLoss());
            }
        } catch (MongoException e) {
            LOG.debug("Checking the membership of {} failed", this, e);
        }
    }

    private String currentLeaseEpoch() {
        Document lease = backend.leases().find(Filters.eq(MongoTopicStore.ID, key)).first();
        return lease == null ? "unknown" : String.valueOf(lease.get(MongoGroups.EPOCH));
    }

    private String describeLoss() {
        Document group;
        try {
            group = backend.groups().find(Filters.eq(MongoTopicStore.ID, key)).first();
        } catch (MongoException e) {
            return "it is no longer a member of the group";
        }
        if (group == null) {
            return "the group's document is gone (the consumer or topic was deleted)";
        }
        long epoch = MongoGroups.number(group.get(MongoGroups.NAME_EPOCH), 0);
        if (epoch != nameEpoch) {
            return "the name was taken over (the group's generation is now epoch " + epoch + ", this member joined"
                    + " at epoch " + nameEpoch + ")";
        }
        return "its lease expired and it was removed from the group (member " + id + ")";
    }

    private ConsumerFencedException fence(String detail) {
        ConsumerFencedException lost = new ConsumerFencedException(store.name(), name,
                "group member " + id + " (epoch " + nameEpoch + "): " + detail);
        if (fenced == null) {
            fenced = lost;
            snapshot = Set.of();
            LOG.warn("Member {} of consumer group \"{}\" on topic \"{}\" was fenced: {}; it stops", id, name,
                    store.name(), detail);
            wakeup();
        }
        return fenced;
    }

    /** Test hook: act as a paused process, no longer renewing the lease. */
    void suspendOwnership() {
        suspended = true;
    }

    // ---------------------------------------------------------------- signals

    /** New records may be stored: the next wait ends and the member fetches. */
    void signal() {
        synchronized (monitor) {
            signalled = true;
            monitor.notifyAll();
        }
    }

    /** The group changed: the member reconciles at its next read. */
    void groupSignal() {
        stale = true;
        synchronized (monitor) {
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

    String topic() {
        return store.name();
    }

    String groupKey() {
        return key;
    }

    boolean isMemberOf(String topic, String consumerName) {
        return !closed.get() && store.name().equals(topic) && name.equals(consumerName);
    }

    // ---------------------------------------------------------------- positions

    @Override
    public Optional<Position> startPosition() {
        return startPosition;
    }

    @Override
    public void commit(Position consumed) {
        checkFenced();
        long offset = store.offsetOf(consumed);
        boolean interrupted = Thread.interrupted(); // as an exclusive reader's commit: close() may have interrupted us
        lock.lock();
        try {
            List<Bson> filter = memberFilter();
            List<Bson> updates = new ArrayList<>();
            for (int slot = 0; slot < owned.length; slot++) {
                if (owned[slot]) {
                    filter.add(Filters.eq(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, id));
                    updates.add(Updates.max(MongoGroups.slot(slot) + "." + MongoGroups.COMMITTED, offset));
                }
            }
            if (updates.isEmpty()) {
                return;
            }
            if (backend.groups().updateOne(Filters.and(filter), Updates.combine(updates)).getMatchedCount() == 0) {
                throw fence(describeLoss() + "; position " + offset + " was not saved");
            }
        } catch (MongoException e) {
            throw backend.failure("saving the position of consumer group \"" + name + "\" on topic \""
                    + store.name() + "\"", e);
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String memberId() {
        return Long.toString(id);
    }

    @Override
    public int slotCount() {
        return slotCount;
    }

    @Override
    public Set<Integer> slots() {
        return snapshot;
    }

    @Override
    public long lag(Optional<Position> handled) {
        Set<Integer> slots = snapshot;
        if (slots.isEmpty()) {
            return 0;
        }
        long after = handled.map(store::offsetOf).orElse(0L);
        try {
            Document group = backend.groups().find(Filters.eq(MongoTopicStore.ID, key)).first();
            if (group == null) {
                return 0;
            }
            MongoGroups.View view = MongoGroups.View.of(group);
            Map<Integer, Long> from = new TreeMap<>();
            long lowest = Long.MAX_VALUE;
            for (int slot : slots) {
                from.put(slot, Math.max(view.committed()[slot], after));
                lowest = Math.min(lowest, from.get(slot));
            }
            if (slots.size() == slotCount) {
                // every slot: counted from positions, as for an exclusive reader (exact once all slots agree)
                return store.lag(lowest > 0 ? Optional.of(Position.of(lowest)) : Optional.empty());
            }
            return store.slotLag(from);
        } catch (MongoException e) {
            throw backend.failure("counting the lag of consumer group \"" + name + "\" on topic \"" + store.name()
                    + "\"", e);
        }
    }

    // ---------------------------------------------------------------- leaving

    /** Removes this member's entry, freeing its slots; the last member releases the name's lease. */
    private void leave() {
        boolean interrupted = Thread.interrupted();
        try {
            List<Bson> filter = memberFilter();
            List<Bson> updates = new ArrayList<>(List.of(Updates.unset(MongoGroups.member(id)),
                    Updates.set(MongoGroups.PENDING, true), Updates.currentDate(MongoGroups.CHANGED_AT),
                    Updates.inc(MongoGroups.VERSION, 1L)));
            for (int slot = 0; slot < owned.length; slot++) {
                if (owned[slot]) {
                    updates.add(Updates.set(MongoGroups.slot(slot) + "." + MongoGroups.OWNER, null));
                }
            }
            Document left = backend.groups().findOneAndUpdate(Filters.and(filter), Updates.combine(updates), AFTER);
            Arrays.fill(owned, false);
            snapshot = Set.of();
            if (left != null) {
                Document members = left.get(MongoGroups.MEMBERS, Document.class);
                if (members == null || members.isEmpty()) {
                    // the last one out releases the name (keeping the epoch), so an exclusive reader or an
                    // administrator may have it at once
                    backend.leases().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                                    Filters.eq(MongoGroups.OWNER, MongoGroups.GROUP_OWNER),
                                    Filters.eq(MongoGroups.EPOCH, nameEpoch)),
                            Updates.set(MongoGroups.OWNER, null));
                }
                backend.groupChanged(key);
            }
        } catch (MongoException e) {
            LOG.warn("Could not leave consumer group \"{}\" on topic \"{}\" ({}); its lease expires by itself",
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
        boolean locked = lock.tryLock();
        try {
            if (locked) {
                documents.close();
            }
            if (fenced == null) {
                leave();
            }
        } finally {
            if (locked) {
                lock.unlock();
            }
        }
    }

    @Override
    public String toString() {
        return "member " + id + " of consumer group \"" + name + "\" on topic \"" + store.name() + "\"";
    }
}
