package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * <p>Every consumer name is an {@link InMemoryGroup}: a slot table with a committed offset per
 * slot, and members (an exclusive reader is a member that owns every slot and keeps others out).
 * Each member holds a lease with a time to live that its connection renews, and an epoch that
 * grows with every member of the name; a member whose lease expired is dropped by the next
 * operation on the group, its slots go to the others, and it is fenced: a reader checks its
 * membership under the lock on every read and commit, so it is refused before it returns a
 * further record or saves.
 */
final class InMemoryTopic {
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayList<Entry> log = new ArrayList<>();
    private final Map<CompactKey, Long> newestByCompactId = new HashMap<>();
    /** Every consumer name's group: its slot table, committed offsets and live members (an exclusive reader is one). */
    private final Map<String, InMemoryGroup> groups = new HashMap<>();
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
     * Copies up to {@code max} records from {@code fromOffset} into {@code into} for an anonymous
     * reader, waiting up to {@code maxWaitNanos} for the first one unless {@code wakeup} is set.
     * Returns the next offset to read.
     */
    long read(long fromOffset, int max, long maxWaitNanos, List<StoredRecord> into, InMemoryReader wakeup)
            throws InterruptedException {
        lock.lock();
        try {
            long nanos = maxWaitNanos;
            while (fromOffset >= base + log.size() && nanos > 0 && !wakeup.takeWakeup()) {
                nanos = appended.awaitNanos(nanos);
            }
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
     * Takes the name for an exclusive reader, unless a live reader or group member holds it, and
     * returns its member state: it owns every slot. Members whose lease expired are dropped first
     * (they are fenced).
     */
    InMemoryGroup.Member acquire(String consumerName, long ttlNanos, GroupOptions options, Optional<Position> fallback) {
        lock.lock();
        try {
            long now = System.nanoTime();
            InMemoryGroup group = groups.get(consumerName);
            if (group != null) {
                group.expire(now, null);
                if (group.hasMembers()) {
                    throw new ConsumerNameInUseException(name, consumerName);
                }
            }
            return join(consumerName, true, now, ttlNanos, options, fallback);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Joins the group of {@code consumerName}, creating it with every slot at {@code fallback}
     * (saved at once, so a member closed or killed before its first commit resumes there).
     */
    InMemoryGroup.Member joinGroup(String consumerName, long ttlNanos, GroupOptions options, Optional<Position> fallback) {
        lock.lock();
        try {
            long now = System.nanoTime();
            InMemoryGroup group = groups.get(consumerName);
            if (group != null) {
                group.expire(now, null);
                if (group.hasExclusiveMember()) {
                    throw new ConsumerNameInUseException(name, consumerName);
                }
            }
            InMemoryGroup.Member member = join(consumerName, false, now, ttlNanos, options, fallback);
            appended.signalAll(); // the other members wait in read(): they look at the new membership
            return member;
        } finally {
            lock.unlock();
        }
    }

    /** Call under the lock. */
    private InMemoryGroup.Member join(String consumerName, boolean exclusive, long now, long ttlNanos,
                                      GroupOptions options, Optional<Position> fallback) {
        InMemoryGroup group = groups.get(consumerName);
        if (group == null) {
            group = new InMemoryGroup(consumerName, options.slots().orElse(io.streamable.Slots.DEFAULT_COUNT),
                    options.debounce().toNanos(), fallback.map(Position::offset).orElse(-1L));
            groups.put(consumerName, group);
        } else if (options.slots().isPresent() && options.slots().get() != group.slotCount()) {
            throw new IllegalStateException("Consumer group \"" + consumerName + "\" of topic \"" + name + "\" has "
                    + group.slotCount() + " slots, but this connection asks for slots=" + options.slots().get()
                    + ": the slot count is fixed when a group is created, since changing it moves keys between members"
                    + " in the middle of their order. Use slots=" + group.slotCount() + " (or no slots option), or"
                    + " delete the consumer (Streamable.deleteConsumer) while none of it runs to start it anew.");
        }
        long epoch = epochs.merge(consumerName, 1L, Long::sum);
        return group.join(epoch, exclusive, now, ttlNanos, base + log.size());
    }

    /** Where a member that just joined starts; see {@link InMemoryGroup#startOf}. */
    Optional<Position> startOf(InMemoryGroup.Member member) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(member.groupName);
            return group == null ? Optional.empty() : group.startOf(member);
        } finally {
            lock.unlock();
        }
    }

    InMemoryGroup group(String consumerName) {
        lock.lock();
        try {
            return groups.get(consumerName);
        } finally {
            lock.unlock();
        }
    }

    /** Extends the lease of the member with {@code epoch}; does nothing for a member that lost it. */
    void renew(String consumerName, long epoch, long ttlNanos) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            InMemoryGroup.Member member = group == null ? null : group.member(epoch);
            if (member != null) {
                group.renew(member, System.nanoTime(), ttlNanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The member with {@code epoch}, after dropping other members whose lease expired; throws if it
     * is no longer a member (it was taken over, or the name was released). Call under the lock.
     */
    InMemoryGroup.Member checkOwner(String consumerName, long epoch) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            InMemoryGroup.Member member = group == null ? null : group.member(epoch);
            if (member == null) {
                List<Long> holders = group == null ? List.of() : group.epochs();
                throw new ConsumerFencedException(name, consumerName, "this reader holds epoch " + epoch
                        + (holders.isEmpty() ? ", and the name has been released since"
                        : ", the name is now held with epoch " + holders.stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(", epoch "))));
            }
            if (group.expire(System.nanoTime(), member)) {
                appended.signalAll();
            }
            return member;
        } finally {
            lock.unlock();
        }
    }

    /** Leaves the name or group if the member with {@code epoch} is still in it: a fenced reader never frees its successor's slots. */
    void release(String consumerName, long epoch) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            InMemoryGroup.Member member = group == null ? null : group.member(epoch);
            if (member != null) {
                group.remove(member, System.nanoTime());
                appended.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads for a member: first the change its group wants of it, if any, which is returned (the
     * reader runs the listener and {@link #applyRebalance}s it, then reads again); otherwise up to
     * {@code max} records of its slots into {@code into}, waiting up to {@code maxWaitNanos} for the
     * first, woken by appends, group changes and the reader's wake-up.
     */
    io.streamable.backend.Rebalance readMember(String consumerName, long epoch, int max, long maxWaitNanos,
                                               List<StoredRecord> into, InMemoryReader reader) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + maxWaitNanos;
            while (true) {
                if (reader.isClosed()) {
                    return null; // closed meanwhile, by another thread: the read returns empty
                }
                InMemoryGroup.Member member = reader.checkOwnership();
                InMemoryGroup group = groups.get(consumerName);
                long now = System.nanoTime();
                io.streamable.backend.Rebalance change = group.changeFor(member, now);
                if (change != null) {
                    return change;
                }
                scan(group, member, max, into, reader);
                long left = deadline - now;
                if (!into.isEmpty() || left <= 0 || reader.takeWakeup()) {
                    return null;
                }
                appended.awaitNanos(Math.max(1, Math.min(left, group.nanosUntilNextEvent(now, member))));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies the member's next records; call under the lock. A scan below the low-water mark
     * resumes at it, and reports the gap to {@code reader} when one of the member's slots had
     * records there still to deliver ({@link InMemoryGroup#unreadBelow}).
     */
    private void scan(InMemoryGroup group, InMemoryGroup.Member member, int max, List<StoredRecord> into,
                      InMemoryReader reader) {
        int slots = group.slotCount();
        long end = base + log.size();
        if (member.ownedCount == 0) {
            member.scan = end;
            return;
        }
        long next = member.scan;
        if (next < lowWater) {
            long firstUnread = group.unreadBelow(member, lowWater);
            if (firstUnread >= 0) {
                reader.reportGap(firstUnread, lowWater); // retention removed them before this member got there
            }
            next = lowWater;
        }
        while (next < end && into.size() < max) {
            long offset = next++;
            Entry entry = log.get(Math.toIntExact(offset - base));
            if (entry != null && (member.deliversAllFrom(offset) || member.delivers(offset, entry.slot(slots)))) {
                into.add(entry.toStored(offset));
            }
        }
        member.scan = next;
        if (!into.isEmpty()) {
            member.delivered = true;
        }
    }

    /** Whether the member has read everything its slots hold, and holds its whole share. */
    boolean caughtUp(InMemoryGroup.Member member) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(member.groupName);
            return member.scan >= base + log.size() && (group == null || group.settled(member));
        } finally {
            lock.unlock();
        }
    }

    /** Makes the change the member's listener saw; fails if the member was fenced meanwhile. */
    void applyRebalance(String consumerName, long epoch, io.streamable.backend.Rebalance change, InMemoryReader reader) {
        lock.lock();
        try {
            if (reader.isClosed()) {
                return; // it left the group: its slots are free already
            }
            InMemoryGroup.Member member = reader.checkOwnership();
            groups.get(consumerName).apply(member, change, base + log.size());
            appended.signalAll(); // slots freed for others, or taken
        } finally {
            lock.unlock();
        }
    }

    Optional<Position> savedPosition(String consumerName) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            return group == null ? Optional.empty() : group.savedPosition();
        } finally {
            lock.unlock();
        }
    }

    /** Saves a position for the member with {@code epoch}; refused with {@link ConsumerFencedException} otherwise. */
    void save(String consumerName, long epoch, Position position) {
        lock.lock();
        try {
            InMemoryGroup.Member member = checkOwner(consumerName, epoch);
            groups.get(consumerName).commit(member, position.offset());
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many records of the member's slots lie after both the slot's committed offset and
     * {@code handled}.
     */
    long lagOf(String consumerName, InMemoryGroup.Member member, long handled) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            if (group == null || member.ownedCount == 0) {
                return 0;
            }
            int slots = group.slotCount();
            long[] after = new long[slots];
            long from = Long.MAX_VALUE;
            for (int slot = 0; slot < slots; slot++) {
                after[slot] = Math.max(group.committed(slot), handled);
                if (member.owned[slot]) {
                    from = Math.min(from, after[slot]);
                }
            }
            long count = 0;
            // only what is still stored counts: a slot committed below the low-water mark lags by its kept records
            for (long i = Math.max(lowWater, from + 1); i < base + log.size(); i++) {
                Entry entry = log.get(Math.toIntExact(i - base));
                if (entry != null) {
                    int slot = entry.slot(slots);
                    if (member.owned[slot] && i > after[slot]) {
                        count++;
                    }
                }
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    Optional<io.streamable.backend.GroupDescription> describe(String consumerName) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            if (group == null) {
                return Optional.empty();
            }
            group.expire(System.nanoTime(), null);
            int slots = group.slotCount();
            long[] lag = new long[slots];
            long from = Long.MAX_VALUE;
            for (int slot = 0; slot < slots; slot++) {
                from = Math.min(from, group.committed(slot));
            }
            // only what is still stored counts: a slot committed below the low-water mark lags by its kept records
            for (long i = Math.max(lowWater, from + 1); i < base + log.size(); i++) {
                Entry entry = log.get(Math.toIntExact(i - base));
                if (entry != null) {
                    int slot = entry.slot(slots);
                    if (i > group.committed(slot)) {
                        lag[slot]++;
                    }
                }
            }
            return Optional.of(group.describe((slot, offset) -> lag[slot]));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets or forgets a name's saved position while no live reader holds it: under the lock, so
     * no reader can take the name in between. Members whose lease expired are dropped, which fences
     * them: their later reads and commits are refused instead of undoing the change.
     *
     * @param forget whether to forget the name; otherwise it saves {@code position}, empty for the beginning
     */
    void setOffline(String consumerName, Optional<Position> position, boolean forget, GroupOptions options) {
        lock.lock();
        try {
            InMemoryGroup group = groups.get(consumerName);
            if (group != null) {
                refuseLiveHolder(group, System.nanoTime());
            }
            if (forget) {
                groups.remove(consumerName);
            } else if (group == null) {
                InMemoryGroup created = new InMemoryGroup(consumerName,
                        options.slots().orElse(io.streamable.Slots.DEFAULT_COUNT), options.debounce().toNanos(),
                        position.map(Position::offset).orElse(-1L));
                groups.put(consumerName, created);
            } else {
                group.resetAll(position.map(Position::offset).orElse(-1L));
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
            for (InMemoryGroup group : groups.values()) {
                refuseLiveHolder(group, now);
            }
            groups.clear();
            log.clear();
            base = 0;
            lowWater = 0;
            liveBytes = 0;
            retention = Retention.forever();
            newestByCompactId.clear();
            liveRecords = 0;
            exists = false;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops expired members, then refuses if one is left. Call under the lock. */
    private void refuseLiveHolder(InMemoryGroup group, long now) {
        group.expire(now, null);
        if (group.hasMembers()) {
            throw new ConsumerNameInUseException(name, group.name());
        }
    }

    Set<String> consumerNames() {
        lock.lock();
        try {
            return new TreeSet<>(groups.keySet());
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

    /** A record as appended and the time the topic accepted it, with its key's hash once a group needed it. */
    private static final class Entry {
        final AppendRecord record;
        final Instant createdAt;
        /** The positive murmur2 hash of the sharding key, or -1 until a group member read it: anonymous readers never pay for it. */
        private int hash = -1;

        Entry(AppendRecord record, Instant createdAt) {
            this.record = record;
            this.createdAt = createdAt;
        }

        AppendRecord record() {
            return record;
        }

        Instant createdAt() {
            return createdAt;
        }

        /** Its key's slot among {@code slots}; call under the lock. */
        int slot(int slots) {
            if (hash < 0) {
                hash = io.streamable.Slots.murmur2(record.shardingKey().getBytes(StandardCharsets.UTF_8)) & 0x7fffffff;
            }
            return hash % slots;
        }

        StoredRecord toStored(long offset) {
            return new StoredRecord(Position.of(offset), createdAt, record.shardingKey(), record.logCompactId(),
                    record.headers(), record.payload());
        }
    }

    /**
     * What a connection asks of the groups it joins.
     *
     * @param slots    the slot count it asks for, empty to take the group's (or the default for a new group)
     * @param debounce how long membership must be still before a new group's assignment is recomputed
     */
    record GroupOptions(Optional<Integer> slots, java.time.Duration debounce) {
    }
}
