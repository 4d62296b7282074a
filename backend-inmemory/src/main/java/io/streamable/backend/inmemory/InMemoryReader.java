package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.Rebalance;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.consume.RetentionGap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads an in-memory topic; blocks on the topic's condition, woken by appends. An anonymous reader
 * reads the whole log from an offset. A named reader is a member of its name's group
 * ({@link InMemoryGroup}): an exclusive one owns every slot, a group member
 * ({@link InMemoryGroupReader}) its share. It holds a lease with an epoch that its connection
 * renews, and every read and commit checks its membership, so a reader whose lease expired and
 * was dropped is fenced.
 */
class InMemoryReader implements TopicReader {
    private final InMemoryTopic topic;
    private final InMemoryBackend connection;
    private final Optional<String> consumerName;
    private final long epoch;
    /** The member state of a named reader; null for an anonymous one. */
    private final InMemoryGroup.Member member;
    /** Called before a group member's slots change; null for an exclusive reader, whose slots never do. */
    private final RebalanceListener listener;
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

    /** An anonymous reader starting after {@code start}, or at offset 0 when empty. */
    InMemoryReader(InMemoryTopic topic, InMemoryBackend connection, Optional<Position> start) {
        this(topic, connection, Optional.empty(), null, null);
        this.startPosition = start;
        this.nextOffset = start.map(position -> position.offset() + 1).orElse(0L);
        this.atBeginning = start.isEmpty();
    }

    /** A named reader: a member of its name's group that has joined already. */
    InMemoryReader(InMemoryTopic topic, InMemoryBackend connection, Optional<String> consumerName,
                   InMemoryGroup.Member member, RebalanceListener listener) {
        this.topic = topic;
        this.connection = connection;
        this.consumerName = consumerName;
        this.member = member;
        this.epoch = member == null ? 0 : member.epoch;
        this.listener = listener;
        if (member != null) {
            this.startPosition = topic.startOf(member);
        }
    }

    InMemoryTopic topic() {
        return topic;
    }

    InMemoryGroup.Member member() {
        return member;
    }

    String consumerName() {
        return consumerName.orElseThrow();
    }

    /** Retention removed {@code from} up to {@code oldestKept - 1} before this reader read them; under the topic's lock. */
    void removedUnread(long from, long oldestKept) {
        if (!atBeginning) {
            reportGap(from, oldestKept);
        }
    }

    /** Records a gap to report, whatever this reader read before; under the topic's lock. */
    void reportGap(long from, long oldestKept) {
        gaps.add(new RetentionGap(topic.name(), 0, from, oldestKept));
    }

    @Override
    public List<RetentionGap> takeRetentionGaps() {
        // the gaps are added under the topic's lock by this reader's own read(), on the same thread
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
        if (member == null) {
            nextOffset = topic.read(nextOffset, max, maxWait.toNanos(), records, this);
            if (!records.isEmpty()) {
                atBeginning = false;
            }
            return new ReadBatch(records, nextOffset >= topic.size());
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (true) {
            Rebalance change = topic.readMember(consumerName.get(), epoch, max,
                    Math.max(0, deadline - System.nanoTime()), records, this);
            if (change == null) {
                return new ReadBatch(records, topic.caughtUp(member));
            }
            // the barrier: the listener finishes and commits what it was handed before the slots move
            if (listener != null) {
                listener.beforeRebalance(change);
            }
            if (closed.get()) {
                return ReadBatch.empty(); // closed while the listener ran: leaving the group freed the slots
            }
            topic.applyRebalance(consumerName.get(), epoch, change, this);
            // no more waiting in this read: it returns what the slots hold now (or the next change), so
            // the caller sees its new slots (Consumer.assignment, onAssignmentChange) at once, also when idle
            deadline = System.nanoTime();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Consumes a pending wake-up; called under the topic's lock. */
    boolean takeWakeup() {
        return wakeup.getAndSet(false) || closed.get();
    }

    /**
     * Throws {@link io.streamable.consume.ConsumerFencedException} if this named reader lost its
     * membership; otherwise renews the lease (unless suspended), so an active reader keeps it even
     * when the heartbeat thread is late. Called under the topic's lock.
     */
    InMemoryGroup.Member checkOwnership() {
        InMemoryGroup.Member current = topic.checkOwner(consumerName.orElseThrow(), epoch);
        if (!isSuspended()) {
            topic.renew(consumerName.get(), epoch, connection.leaseTtl().toNanos());
        }
        return current;
    }

    /** Called by the connection's heartbeat: extends the lease unless suspended or closed. */
    void renewLease(long ttlNanos) {
        if (!isSuspended() && !closed.get()) {
            consumerName.ifPresent(name -> topic.renew(name, epoch, ttlNanos));
        }
    }

    private boolean isSuspended() {
        return suspended || connection.isSuspended();
    }

    /**
     * Test hook: acts as if this reader's process were paused, so its lease is no longer renewed
     * and another reader may take the name (or its slots) over once it expires.
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
        if (!consumed.isSingleLog()) {
            throw new IllegalArgumentException("Position " + consumed + " spans partitions, but in-memory topics have"
                    + " one log: commit a position this reader returned");
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
