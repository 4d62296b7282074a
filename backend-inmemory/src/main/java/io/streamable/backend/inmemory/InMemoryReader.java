package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.consume.RetentionGap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads an in-memory topic from an offset; blocks on the topic's condition, woken by appends. A
 * named reader holds its name's lease with an epoch; its connection renews the lease, and every
 * read and commit checks the epoch, so a reader whose name was taken over is fenced.
 */
final class InMemoryReader implements TopicReader {
    private final InMemoryTopic topic;
    private final InMemoryBackend connection;
    private final Optional<String> consumerName;
    private final long epoch;
    private final AtomicBoolean wakeup = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set by the test hook {@link #suspendOwnership()}: the lease is no longer renewed. */
    private volatile boolean suspended;
    private Optional<Position> startPosition = Optional.empty();
    private long nextOffset;
    /** Whether this reader may still take the oldest kept record as its beginning without a report. */
    private boolean atBeginning;
    /** Gaps found under the topic's lock, taken by the reading thread. */
    private final List<RetentionGap> gaps = new ArrayList<>(0);

    InMemoryReader(InMemoryTopic topic, InMemoryBackend connection, Optional<String> consumerName, long epoch) {
        this.topic = topic;
        this.connection = connection;
        this.consumerName = consumerName;
        this.epoch = epoch;
    }

    /** Sets where the reader starts: after {@code start}, or at offset 0 when empty. */
    void startAfter(Optional<Position> start) {
        this.startPosition = start;
        this.nextOffset = start.map(position -> position.offset() + 1).orElse(0L);
        this.atBeginning = start.isEmpty();
    }

    /** Retention removed {@code from} up to {@code oldestKept - 1} before this reader read them; under the topic's lock. */
    void removedUnread(long from, long oldestKept) {
        if (!atBeginning) {
            gaps.add(new RetentionGap(topic.name(), 0, from, oldestKept));
        }
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

    @Override
    public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return ReadBatch.empty();
        }
        List<StoredRecord> records = new ArrayList<>(Math.min(max, 1024));
        nextOffset = topic.read(nextOffset, max, maxWait.toNanos(), records, this);
        if (!records.isEmpty()) {
            atBeginning = false;
        }
        return new ReadBatch(records, nextOffset >= topic.size());
    }

    /** Consumes a pending wake-up; called under the topic's lock. */
    boolean takeWakeup() {
        return wakeup.getAndSet(false) || closed.get();
    }

    /**
     * Throws {@link io.streamable.consume.ConsumerFencedException} if this named reader lost its
     * name; otherwise renews the lease (unless suspended), so an active reader keeps it even when
     * the heartbeat thread is late. Called under the topic's lock.
     */
    void checkOwnership() {
        consumerName.ifPresent(name -> {
            topic.checkOwner(name, epoch);
            if (!suspended) {
                topic.renew(name, epoch, connection.leaseTtl().toNanos());
            }
        });
    }

    /** Called by the connection's heartbeat: extends the lease unless suspended or closed. */
    void renewLease(long ttlNanos) {
        if (!suspended && !closed.get()) {
            consumerName.ifPresent(name -> topic.renew(name, epoch, ttlNanos));
        }
    }

    /**
     * Test hook: acts as if this reader's process were paused, so its lease is no longer renewed
     * and another reader may take the name over once it expires.
     */
    void suspendOwnership() {
        suspended = true;
    }

    @Override
    public Optional<Position> startPosition() {
        return startPosition;
    }

    @Override
    public void commit(Position consumed) {
        if (closed.get()) {
            throw new IllegalStateException("This reader of topic \"" + topic.name() + "\" is closed");
        }
        consumerName.ifPresent(name -> topic.save(name, epoch, consumed));
    }

    @Override
    public void wakeup() {
        wakeup.set(true);
        topic.signalReaders();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            consumerName.ifPresent(name -> topic.release(name, epoch));
            connection.closed(this);
            topic.signalReaders();
        }
    }
}
