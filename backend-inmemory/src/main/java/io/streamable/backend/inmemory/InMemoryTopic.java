package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
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
 * One topic's log. The offset of a record is its index in {@link #log}; compaction replaces
 * removed records with {@code null}, so offsets never move. One lock orders appends, which is
 * what makes every reader see records in one order and never pass a later-committed one.
 *
 * <p>The log keeps each appended record as it came, with its acceptance time, and builds the
 * {@link StoredRecord} (and its {@link Position}) when a reader reads it: a topic of a million
 * messages then holds three objects per message instead of six, which is what the garbage
 * collector has to copy while the log grows (most of an end-to-end benchmark round otherwise).
 */
final class InMemoryTopic {
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    private final ArrayList<Entry> log = new ArrayList<>();
    private final Map<String, Long> newestByCompactId = new HashMap<>();
    private final Map<String, Position> savedPositions = new HashMap<>();
    private final Set<String> leasedNames = new HashSet<>();
    private long liveRecords;

    InMemoryTopic(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    List<Position> append(List<AppendRecord> records) {
        List<Position> positions = new ArrayList<>(records.size());
        lock.lock();
        try {
            Instant now = Instant.now();
            for (AppendRecord record : records) {
                long offset = log.size();
                log.add(new Entry(record, now));
                liveRecords++;
                record.logCompactId().ifPresent(id -> {
                    Long replaced = newestByCompactId.put(id, offset);
                    if (replaced != null) {
                        log.set(Math.toIntExact(replaced), null);
                        liveRecords--;
                    }
                });
                positions.add(Position.of(offset));
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
            long nanos = maxWaitNanos;
            while (fromOffset >= log.size() && nanos > 0 && !wakeup.takeWakeup()) {
                nanos = appended.awaitNanos(nanos);
            }
            long next = fromOffset;
            while (next < log.size() && into.size() < max) {
                long offset = next++;
                Entry entry = log.get(Math.toIntExact(offset));
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
            return log.size();
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
            if (offset < 0) {
                return liveRecords;
            }
            long count = 0;
            for (long i = offset + 1; i < log.size(); i++) {
                if (log.get(Math.toIntExact(i)) != null) {
                    count++;
                }
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    void acquire(String consumerName) {
        lock.lock();
        try {
            if (!leasedNames.add(consumerName)) {
                throw new ConsumerNameInUseException(name, consumerName);
            }
        } finally {
            lock.unlock();
        }
    }

    void release(String consumerName) {
        lock.lock();
        try {
            leasedNames.remove(consumerName);
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

    void save(String consumerName, Position position) {
        lock.lock();
        try {
            savedPositions.merge(consumerName, position, Position::merge);
        } finally {
            lock.unlock();
        }
    }

    Set<String> consumerNames() {
        lock.lock();
        try {
            return new TreeSet<>(savedPositions.keySet());
        } finally {
            lock.unlock();
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
