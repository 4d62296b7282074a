package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One topic's log. The offset of a record is {@link #base} plus its index in {@link #log};
 * compaction replaces removed records with {@code null}, so offsets never move.
 *
 * <p>Retention removes a prefix: {@link #lowWater} is the oldest offset not removed, and only
 * ever grows; it stops right after a removed live record and never passes the newest record, so
 * the next append's offset ({@code base + log.size()}) is never one a reader has seen. Removed
 * entries are nulled at once and dropped from the list in chunks ({@link #base} follows), so
 * memory stays bounded without copying the list on every removal. A reader behind the low-water
 * mark resumes at it and reports the gap ({@link InMemoryReader#removedUnread}), unless it started
 * at the beginning and has read nothing yet (then the beginning is simply the oldest record kept). One lock orders appends, which is
 * what makes every reader see records in one order and never pass a later-committed one.
 *
 * <p>The log keeps each appended record as it came, with its acceptance time, and builds the
 * {@link StoredRecord} (and its {@link Position}) when a reader reads it: a topic of a million
 * messages then holds three objects per message instead of six, which is what the garbage
 * collector has to copy while the log grows (most of an end-to-end benchmark round otherwise).
 *
 * <p>Compaction is per (sharding key, logCompactId): a record with an id makes the earlier records
 * with the same key and the same id removable, and no others, which is what a partitioned backend
 * can also promise (it compacts within a partition, and a key stays in one partition).
 *
 * <p>Consumer names are leased with a time to live that the holder's connection renews; a
 * lease whose holder stopped renewing it past its expiry may be taken over, and each take-over
 * raises the name's epoch. A reader checks its epoch under the lock on every read and commit, so
 * a reader whose name was taken over is refused before it returns a further record or saves.
 */
final class InMemoryTopic {
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayList<Entry> log = new ArrayList<>();
    private final Map<CompactKey, Long> newestByCompactId = new HashMap<>();
    private final Map<String, Position> savedPositions = new HashMap<>();
    /** Names that started from the beginning and have not saved a position yet: their saved start. */
    private final Set<String> startedFromBeginning = new HashSet<>();
    private final Map<String, Lease> leases = new HashMap<>();
    /** The last epoch given out per name; never reset, so a later holder always has a higher one. */
    private final Map<String, Long> epochs = new HashMap<>();
    private long liveRecords;
    /** The offset of {@code log.get(0)}: entries below it were removed by retention and dropped. */
    private long base;
    /** The oldest offset retention has not removed; offsets below it are gone for good. */
    private long lowWater;
    /** The payload bytes of the live records, for a size limit. */
    private long liveBytes;
    private volatile Retention retention = Retention.forever();
    /** False once deleted, until used again: a deleted topic is not listed. */
    private volatile boolean exists = true;

    InMemoryTopic(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    boolean exists() {
        return exists;
    }

    /** Lists the topic again after a deletion. */
    void exist() {
        if (!exists) {
            exists = true;
        }
    }

    List<Position> append(List<AppendRecord> records) {
        List<Position> positions = new ArrayList<>(records.size());
        exist(); // a producer that still holds a deleted topic creates it again, as a new store would
        lock.lock();
        try {
            Instant now = Instant.now();
            for (AppendRecord record : records) {
                long offset = base + log.size();
                log.add(new Entry(record, now));
                liveRecords++;
                liveBytes += record.payload().length;
                record.logCompactId().ifPresent(id -> {
                    Long replaced = newestByCompactId.put(new CompactKey(record.shardingKey(), id), offset);
                    if (replaced != null && replaced >= lowWater) {
                        Entry superseded = log.set(Math.toIntExact(replaced - base), null);
                        liveRecords--;
                        liveBytes -= superseded.record().payload().length;
                    }
                });
                positions.add(Position.of(offset));
            }
            if (!retention.isForever()) {
                removeExpired(now);
            }
            appended.signalAll();
        } finally {
            lock.unlock();
        }
        return positions;
    }

    /**
     * Copies up to {@code max} records from {@code fromOffset} into {@code into}, waiting up to
     * {@code maxWaitNanos} for the first one unless {@code wakeup} is set. Returns the next offset
     * to read.
     */
    long read(long fromOffset, int max, long maxWaitNanos, List<StoredRecord> into, InMemoryReader wakeup)
            throws InterruptedException {
        lock.lock();
        try {
            wakeup.checkOwnership();
            long nanos = maxWaitNanos;
            while (fromOffset >= base + log.size() && nanos > 0 && !wakeup.takeWakeup()) {
                nanos = appended.awaitNanos(nanos);
            }
            // the name may have been taken over while this reader waited
            wakeup.checkOwnership();
            long next = fromOffset;
            if (next < lowWater) {
                wakeup.removedUnread(next, lowWater); // retention removed them before this reader got there
                next = lowWater;
            }
            while (next < base + log.size() && into.size() < max) {
                long offset = next++;
                Entry entry = log.get(Math.toIntExact(offset - base));
                if (entry != null) {
                    into.add(entry.toStored(offset));
                }
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    long size() {
        lock.lock();
        try {
            return base + log.size();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes readers blocked in {@link #read}; they check their own wake-up flag. */
    void signalReaders() {
        lock.lock();
        try {
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long countAfter(long offset) {
        lock.lock();
        try {
            if (offset < lowWater) {
                return liveRecords; // only what is still stored counts
            }
            long count = 0;
            for (long i = offset + 1; i < base + log.size(); i++) {
                if (log.get(Math.toIntExact(i - base)) != null) {
                    count++;
                }
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes the lease of {@code consumerName} for {@code ttlNanos}, unless a holder renewed it
     * within its time to live, and returns the new holder's epoch.
     */
    long acquire(String consumerName, long ttlNanos) {
        lock.lock();
        try {
            long now = System.nanoTime();
            Lease held = leases.get(consumerName);
            if (held != null && now - held.expiresAtNanos < 0) {
                throw new ConsumerNameInUseException(name, consumerName);
            }
            long epoch = epochs.merge(consumerName, 1L, Long::sum);
            leases.put(consumerName, new Lease(epoch, now + ttlNanos));
            return epoch;
        } finally {
            lock.unlock();
        }
    }

    /** Extends the lease of the holder with {@code epoch}; does nothing for a holder that lost it. */
    void renew(String consumerName, long epoch, long ttlNanos) {
        lock.lock();
        try {
            Lease held = leases.get(consumerName);
            if (held != null && held.epoch == epoch) {
                held.expiresAtNanos = System.nanoTime() + ttlNanos;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Throws if the lease of {@code consumerName} is no longer held with {@code epoch}; call under the lock or not. */
    void checkOwner(String consumerName, long epoch) {
        lock.lock();
        try {
            Lease held = leases.get(consumerName);
            if (held == null || held.epoch != epoch) {
                throw new ConsumerFencedException(name, consumerName, "this reader holds epoch " + epoch
                        + (held == null ? ", and the name has been released since" : ", the name is now held with epoch "
                        + held.epoch));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Releases the lease if the holder with {@code epoch} still has it: a fenced reader never frees its successor's. */
    void release(String consumerName, long epoch) {
        lock.lock();
        try {
            Lease held = leases.get(consumerName);
            if (held != null && held.epoch == epoch) {
                leases.remove(consumerName);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Where a named reader holding the lease starts: after its saved position, at its saved start
     * (the beginning), or at {@code fallback}, which is then saved at once so that a reader closed
     * or killed before its first commit resumes there.
     */
    Optional<Position> startOf(String consumerName, long epoch, Optional<Position> fallback) {
        lock.lock();
        try {
            checkOwner(consumerName, epoch);
            Position saved = savedPositions.get(consumerName);
            if (saved != null || startedFromBeginning.contains(consumerName)) {
                return Optional.ofNullable(saved);
            }
            if (fallback.isPresent()) {
                savedPositions.put(consumerName, fallback.get());
            } else {
                startedFromBeginning.add(consumerName);
            }
            return fallback;
        } finally {
            lock.unlock();
        }
    }

    Optional<Position> savedPosition(String consumerName) {
        lock.lock();
        try {
            return Optional.ofNullable(savedPositions.get(consumerName));
        } finally {
            lock.unlock();
        }
    }

    /** Saves a position for the holder with {@code epoch}; refused with {@link ConsumerFencedException} otherwise. */
    void save(String consumerName, long epoch, Position position) {
        lock.lock();
        try {
            checkOwner(consumerName, epoch);
            startedFromBeginning.remove(consumerName);
            savedPositions.merge(consumerName, position, Position::merge);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets or forgets a name's saved position while no live reader holds it: under the lock, so
     * no reader can take the name in between. An expired lease is dropped, which fences its
     * paused holder: its later reads and commits are refused instead of undoing the change.
     *
     * @param forget whether to forget the name; otherwise it saves {@code position}, empty for the beginning
     */
    void setOffline(String consumerName, Optional<Position> position, boolean forget) {
        lock.lock();
        try {
            refuseLiveHolder(consumerName, System.nanoTime());
            leases.remove(consumerName);
            savedPositions.remove(consumerName);
            startedFromBeginning.remove(consumerName);
            if (!forget) {
                position.ifPresentOrElse(p -> savedPositions.put(consumerName, p),
                        () -> startedFromBeginning.add(consumerName));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops every record and saved position while no live named reader reads the topic. Epochs
     * stay, so a holder of the old topic never matches a later one's lease.
     */
    void clear() {
        lock.lock();
        try {
            long now = System.nanoTime();
            for (String consumerName : leases.keySet()) {
                refuseLiveHolder(consumerName, now);
            }
            leases.clear();
            log.clear();
            base = 0;
            lowWater = 0;
            liveBytes = 0;
            retention = Retention.forever();
            newestByCompactId.clear();
            savedPositions.clear();
            startedFromBeginning.clear();
            liveRecords = 0;
            exists = false;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Call under the lock. */
    private void refuseLiveHolder(String consumerName, long now) {
        Lease held = leases.get(consumerName);
        if (held != null && now - held.expiresAtNanos < 0) {
            throw new ConsumerNameInUseException(name, consumerName);
        }
    }

    Set<String> consumerNames() {
        lock.lock();
        try {
            Set<String> names = new TreeSet<>(savedPositions.keySet());
            names.addAll(startedFromBeginning);
            return names;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- retention and time

    Retention retention() {
        return retention;
    }

    void setRetention(Retention retention) {
        lock.lock();
        try {
            this.retention = retention;
            removeExpired(Instant.now());
        } finally {
            lock.unlock();
        }
    }

    /** Removes what the retention allows now; called on appends, by the connections' sweep and by tests. */
    void enforceRetention() {
        if (retention.isForever()) {
            return;
        }
        lock.lock();
        try {
            removeExpired(Instant.now());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the oldest live records while a limit is exceeded, never the newest record; call
     * under the lock. The low-water mark moves to just after the last record removed.
     */
    private void removeExpired(Instant now) {
        Retention limits = retention;
        Instant oldestKept = limits.maxAge().map(now::minus).orElse(null);
        long newest = base + log.size() - 1;
        long scan = lowWater;
        long removed = 0;
        while (scan < newest) {
            Entry entry = log.get(Math.toIntExact(scan - base));
            if (entry == null) {
                scan++; // compacted: nothing to remove, but passed once a later record goes
                continue;
            }
            boolean expired = (oldestKept != null && entry.createdAt().isBefore(oldestKept))
                    || (limits.maxMessages().isPresent() && liveRecords > limits.maxMessages().getAsLong())
                    || (limits.maxBytes().isPresent() && liveBytes > limits.maxBytes().getAsLong());
            if (!expired) {
                break;
            }
            log.set(Math.toIntExact(scan - base), null);
            liveRecords--;
            liveBytes -= entry.record().payload().length;
            Long removedOffset = scan;
            entry.record().logCompactId().ifPresent(id ->
                    newestByCompactId.remove(new CompactKey(entry.record().shardingKey(), id), removedOffset));
            scan++;
            lowWater = scan;
            removed++;
        }
        long dead = lowWater - base;
        if (removed > 0 && dead >= Math.max(1024, log.size() / 2)) {
            // drop the removed prefix from the list in chunks: amortised, not one copy per removal
            log.subList(0, Math.toIntExact(dead)).clear();
            base = lowWater;
        }
    }

    /**
     * The position to start after so that every record created at or after {@code instant} is
     * read: a binary search over the offsets (point reads, no scan). The topic stamps records
     * under its lock with one clock, so their times ascend (a wall-clock step back aside, which the
     * consumer's filter on {@code createdAt} cannot repair either); empty for the beginning.
     */
    Optional<Position> positionBefore(Instant instant) {
        lock.lock();
        try {
            long low = lowWater;
            long high = base + log.size(); // the first offset known to be at or after the instant (virtual end)
            // invariant: every live offset below `low` was created before the instant
            while (low < high) {
                long middle = low + (high - low) / 2;
                Entry entry = entryAtOrAfter(middle, high);
                if (entry == null || !entry.createdAt().isBefore(instant)) {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
            return low == 0 ? Optional.empty() : Optional.of(Position.of(low - 1));
        } finally {
            lock.unlock();
        }
    }

    /** The first live entry at or after {@code offset} and below {@code end}; call under the lock. */
    private Entry entryAtOrAfter(long offset, long end) {
        for (long scan = offset; scan < end; scan++) {
            Entry entry = log.get(Math.toIntExact(scan - base));
            if (entry != null) {
                return entry;
            }
        }
        return null;
    }

    TopicDescription describe() {
        lock.lock();
        try {
            long end = base + log.size();
            Optional<Position> oldest = Optional.empty();
            Optional<Instant> oldestAt = Optional.empty();
            for (long scan = lowWater; scan < end; scan++) {
                Entry entry = log.get(Math.toIntExact(scan - base));
                if (entry != null) {
                    oldest = Optional.of(Position.of(scan));
                    oldestAt = Optional.of(entry.createdAt());
                    break;
                }
            }
            Optional<Position> newest = end == 0 ? Optional.empty() : Optional.of(Position.of(end - 1));
            Optional<Instant> newestAt = end == 0 ? Optional.empty()
                    : Optional.ofNullable(log.get(log.size() - 1)).map(Entry::createdAt);
            return new TopicDescription(name, retention, oldest, oldestAt, newest, newestAt);
        } finally {
            lock.unlock();
        }
    }

    /** What compaction is per: a sharding key and a logCompactId. */
    private record CompactKey(String shardingKey, String logCompactId) {
    }

    /** A consumer name's lease: the holder's epoch and when it expires unless renewed. Guarded by the lock. */
    private static final class Lease {
        final long epoch;
        long expiresAtNanos;

        Lease(long epoch, long expiresAtNanos) {
            this.epoch = epoch;
            this.expiresAtNanos = expiresAtNanos;
        }
    }

    /** A record as appended and the time the topic accepted it. */
    private record Entry(AppendRecord record, Instant createdAt) {
        StoredRecord toStored(long offset) {
            return new StoredRecord(Position.of(offset), createdAt, record.shardingKey(), record.logCompactId(),
                    record.headers(), record.payload());
        }
    }
}
