package io.streamable.client;

import io.streamable.Position;
import io.streamable.backend.StoredRecord;
import io.streamable.client.FailureHandler.Result;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Hands records to a fixed set of worker threads: one queue per sharding key, so a key's records
 * run one at a time and in order while other keys go on, and a bounded number of records in
 * flight (queued or running), so reading stops only when that many are waiting. With one worker
 * every record goes through a single queue: the read order is kept across keys too.
 *
 * <p>Completed records move the {@link CommitTracker}'s handled prefix. {@link #halt()} stops
 * starting records at once (a stop or a fencing); {@link #beginClose()} lets the records that
 * are already started, and those queued below them, finish, so the saved position covers
 * everything handled and nothing is delivered twice after a clean close.
 */
final class Dispatcher {
    /** The queue name when every record shares one queue. */
    private static final String ONE_QUEUE = "";

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workAvailable = lock.newCondition();
    private final Condition changed = lock.newCondition();
    /** Signalled only when the read loop should read again: not once per completed record (see {@link #readable}). */
    private final Condition roomAvailable = lock.newCondition();
    private final CommitTracker tracker;
    private final RecordHandler handler;
    /** Decodes a record ahead of its worker (see {@link #decodeAhead}); null: workers decode everything. */
    private final Function<StoredRecord, Object> ahead;
    /** The read loop's recent batches, newest last, that {@link #decodeAhead} works back from; read loop only. */
    private final ArrayDeque<Batch> recent = new ArrayDeque<>();
    private final boolean perKey;
    private final int maxInFlight;
    private final Runnable onIdleOrHalt;
    private final Worker[] workers;
    private final java.util.concurrent.atomic.AtomicReference<Throwable> unexpected =
            new java.util.concurrent.atomic.AtomicReference<>();

    // guarded by lock
    private final Map<String, KeyQueue> queues = new HashMap<>();
    private final ArrayDeque<KeyQueue> ready = new ArrayDeque<>();
    private int inFlight;
    private int running;
    private int waiters;
    /** Whether the read loop waits in {@link #awaitRoom(int, Duration)}, and for how much room. */
    private boolean roomWaiter;
    private int roomWanted = 1;
    /** Workers waiting for a record to start. */
    private int idle;
    private boolean halted;
    private boolean closing;
    private boolean terminated;
    private boolean wakeWhenIdle;

    /** Runs one record on a worker; {@code decoded} is what {@link #decodeAhead} made of it, or null. */
    @FunctionalInterface
    interface RecordHandler {
        Result handle(StoredRecord record, Object decoded);
    }

    /**
     * @param handler      runs one record; called on a worker thread
     * @param onIdleOrHalt called, outside the lock, when the last record in flight completes while
     *                     {@link #wakeWhenIdle} is set, and when a record's result halts the dispatcher
     */
    Dispatcher(int workers, int maxInFlight, CommitTracker tracker, Function<StoredRecord, Result> handler,
               Runnable onIdleOrHalt, ThreadFactory threads) {
        this(workers, maxInFlight, tracker, (record, decoded) -> handler.apply(record), null, onIdleOrHalt, threads);
    }

    /**
     * @param handler      runs one record; called on a worker thread
     * @param ahead        decodes a record ahead of its worker, null when it cannot (then the worker
     *                     decodes it); null for none at all
     * @param onIdleOrHalt called, outside the lock, when the last record in flight completes while
     *                     {@link #wakeWhenIdle} is set, and when a record's result halts the dispatcher
     */
    Dispatcher(int workers, int maxInFlight, CommitTracker tracker, RecordHandler handler,
               Function<StoredRecord, Object> ahead, Runnable onIdleOrHalt, ThreadFactory threads) {
        this.tracker = tracker;
        this.handler = handler;
        this.ahead = ahead;
        this.perKey = workers > 1;
        this.maxInFlight = maxInFlight;
        this.onIdleOrHalt = onIdleOrHalt;
        this.workers = new Worker[workers];
        for (int i = 0; i < workers; i++) {
            this.workers[i] = new Worker();
            this.workers[i].thread = threads.newThread(this.workers[i]);
        }
        for (Worker worker : this.workers) {
            worker.thread.start();
        }
    }

    /** How many more records may be submitted now. */
    int room() {
        lock.lock();
        try {
            return Math.max(0, maxInFlight - inFlight);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until there is room, something halted or closed the dispatcher, or {@code timeout} passed. */
    void awaitRoom(Duration timeout) throws InterruptedException {
        awaitRoom(1, timeout);
    }

    /**
     * How many records the read loop should read now: the room, once it is at least {@code wanted}
     * (at most {@code maxInFlight}) or a worker waits for work, so a slow key's backlog never
     * stops reading for the other keys; otherwise 0. Reading a whole batch at
     * once instead of one record per completion is what keeps the read loop and the workers from
     * waking each other for every record.
     */
    int roomFor(int wanted) {
        lock.lock();
        try {
            return readable(wanted);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@link #roomFor roomFor(wanted)} is positive, something halted or closed the
     * dispatcher, or {@code timeout} passed. For the read loop (one thread).
     */
    void awaitRoom(int wanted, Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            roomWaiter = true;
            roomWanted = wanted;
            try {
                while (readable(wanted) == 0 && !halted && !closing && nanos > 0) {
                    nanos = roomAvailable.awaitNanos(nanos);
                }
            } finally {
                roomWaiter = false;
            }
        } finally {
            lock.unlock();
        }
    }

    /** See {@link #roomFor}; under the lock. */
    private int readable(int wanted) {
        int room = maxInFlight - inFlight;
        if (room <= 0) {
            return 0;
        }
        return room >= Math.min(wanted, maxInFlight) || idle > 0 ? room : 0;
    }

    /** Queues records in read order. Records submitted after a halt or a close are tracked but never run. */
    void submit(List<StoredRecord> records) {
        Work[] works = ahead == null ? null : new Work[records.size()];
        int index = 0;
        lock.lock();
        try {
            for (StoredRecord record : records) {
                Work work = new Work(record, tracker.track(record.position()));
                if (works != null) {
                    works[index++] = work;
                }
                inFlight++;
                String key = perKey ? record.shardingKey() : ONE_QUEUE;
                KeyQueue queue = queues.get(key);
                if (queue == null) {
                    queue = new KeyQueue(key);
                    queues.put(key, queue);
                }
                queue.items.addLast(work);
                if (!queue.scheduled && !queue.blocked) {
                    queue.scheduled = true;
                    ready.addLast(queue);
                    workAvailable.signal();
                }
            }
        } finally {
            lock.unlock();
        }
        if (works != null && works.length > 0) {
            recent.addLast(new Batch(works));
            if (recent.size() > 1 + maxInFlight / works.length) {
                recent.pollFirst(); // more than can be in flight: that one was taken by the workers
            }
        }
    }

    /**
     * Decodes up to {@code max} records that no worker has taken yet, newest first, so the read
     * loop's thread, while it would wait for room, shares the decoding with a worker that takes
     * the oldest first; they meet in between, and a record either of them claimed first is
     * decoded once. Returns how many it decoded (0: nothing left to decode). Read loop only.
     */
    int decodeAhead(int max) {
        if (ahead == null) {
            return 0;
        }
        int decoded = 0;
        while (decoded < max && !recent.isEmpty()) {
            Batch batch = recent.peekLast();
            if (batch.next < 0) {
                recent.pollLast();
                continue;
            }
            Work work = batch.works[batch.next--];
            if (!work.claimAhead()) {
                // a worker took it: the workers take records in read order, so all older ones are theirs
                recent.clear();
                break;
            }
            Object value = null;
            try {
                value = ahead.apply(work.record);
            } finally {
                work.decodedAhead(value);
            }
            decoded++;
        }
        return decoded;
    }

    /** Whether every submitted record has completed. */
    boolean isIdle() {
        lock.lock();
        try {
            return inFlight == 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every submitted record completed, or, once the dispatcher halted or is closing,
     * until no handler runs and nothing more may start, up to {@code timeout}; true if one of them
     * happened. A consumer group
     * rebalance waits for this before its commit.
     */
    boolean awaitDrained(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            waiters++;
            try {
                // halted or closing: some records never run, so wait only until no handler runs
                // (none of a revoked slot's keys may still be in a handler when the slot moves)
                while (inFlight > 0 && !((halted || closing) && quiescent())) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = changed.awaitNanos(nanos);
                }
                return true;
            } finally {
                waiters--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Restarts the tracker (see {@link CommitTracker#restart()}) if every record completed; returns
     * whether it did. A dispatcher that still holds records (halted, closing) keeps its tracker:
     * those records never complete, so the handled position cannot move past them.
     */
    boolean restartTracker() {
        lock.lock();
        try {
            if (inFlight != 0) {
                return false;
            }
            tracker.restart();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The records in flight (queued or running), for reports. */
    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Asks for {@code onIdleOrHalt} when the last record in flight completes (the read loop waits for it). */
    void wakeWhenIdle(boolean wake) {
        lock.lock();
        try {
            wakeWhenIdle = wake;
        } finally {
            lock.unlock();
        }
    }

    /** What the consumer may save: see {@link CommitTracker#handled()}. */
    Optional<Position> handled() {
        lock.lock();
        try {
            return tracker.handled();
        } finally {
            lock.unlock();
        }
    }

    /** How many records completed so far. */
    long completedCount() {
        lock.lock();
        try {
            return tracker.completedCount();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a record's result (a stop) or {@link #halt()} stopped the dispatcher. */
    boolean isHalted() {
        lock.lock();
        try {
            return halted;
        } finally {
            lock.unlock();
        }
    }

    /** A failure of the dispatching itself (not of a handler), if one halted it. */
    Optional<Throwable> unexpectedFailure() {
        return Optional.ofNullable(unexpected.get());
    }

    /** Starts nothing more; running handlers finish on their own. */
    void halt() {
        lock.lock();
        try {
            halted = true;
            changed.signalAll();
            roomAvailable.signalAll();
            workAvailable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts no record beyond those already started, except the ones queued below them in their
     * partition: finishing those leaves no hole, so the handled prefix then covers everything
     * handled. Idempotent.
     */
    void beginClose() {
        lock.lock();
        try {
            if (!closing) {
                closing = true;
                tracker.freezeStarted();
                changed.signalAll();
                roomAvailable.signalAll();
                workAvailable.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until no handler runs and no record may start any more (after {@link #halt()} or
     * {@link #beginClose()}), up to {@code timeout}; true if that happened.
     */
    boolean awaitQuiescent(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            long nanos = timeout.toNanos();
            waiters++;
            try {
                while (!quiescent()) {
                    if (nanos <= 0) {
                        return false;
                    }
                    nanos = changed.awaitNanos(nanos);
                }
                return true;
            } finally {
                waiters--;
            }
        } finally {
            lock.unlock();
        }
    }

    private boolean quiescent() {
        return running == 0 && (halted || ready.isEmpty());
    }

    /** Interrupts the threads of handlers still running, and returns their records' positions. */
    List<Position> interruptRunning() {
        List<Position> interrupted = new ArrayList<>();
        for (Worker worker : workers) {
            Work current = worker.current;
            if (current != null) {
                interrupted.add(current.record.position());
                worker.thread.interrupt();
            }
        }
        return interrupted;
    }

    /** The records whose handlers are still running, with their sharding keys, for reports. */
    List<String> stillRunning() {
        List<String> running = new ArrayList<>();
        for (Worker worker : workers) {
            Work current = worker.current;
            if (current != null) {
                running.add("position " + current.record.position() + " (sharding key \"" + current.record.shardingKey()
                        + "\", thread " + worker.thread.getName() + ")");
            }
        }
        return running;
    }

    /** Ends the workers once their current handler returns; a worker stuck in a handler is left behind. */
    void shutdown() {
        lock.lock();
        try {
            terminated = true;
            halted = true;
            workAvailable.signalAll();
            changed.signalAll();
            roomAvailable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The next record a worker may start, or null once the dispatcher is shut down. Called under the lock. */
    private Work next(Worker worker) throws InterruptedException {
        while (true) {
            if (terminated) {
                return null;
            }
            KeyQueue queue = halted ? null : ready.pollFirst();
            if (queue == null) {
                if (halted || closing) {
                    changed.signalAll(); // quiescence may have been reached
                }
                idle++;
                try {
                    if (roomWaiter && readable(roomWanted) > 0) {
                        roomAvailable.signal(); // this worker runs out of work: whatever room there is, fill it
                    }
                    workAvailable.await();
                } finally {
                    idle--;
                }
                continue;
            }
            Work work = queue.items.peekFirst();
            if (closing && !work.slot.belowFrozenStart()) {
                // not started before the close, and nothing started after it: left for the next run
                queue.scheduled = false;
                queue.blocked = true;
                continue;
            }
            queue.items.pollFirst();
            work.slot.started();
            work.queue = queue;
            worker.current = work;
            running++;
            return work;
        }
    }

    /** Books a finished record and reschedules its queue. Called under the lock; returns whether to call onIdleOrHalt. */
    private boolean finished(Worker worker, Work work, Result result) {
        worker.current = null;
        running--;
        KeyQueue queue = work.queue;
        boolean notify = false;
        if (result == Result.DONE) {
            work.slot.complete();
            inFlight--;
            if (queue.items.isEmpty()) {
                queue.scheduled = false;
                queues.remove(queue.key);
            } else {
                ready.addLast(queue); // at the back: keys take turns
                workAvailable.signal();
            }
            notify = inFlight == 0 && wakeWhenIdle;
        } else {
            // not acknowledged: nothing after it in its key may run, or the key's order would break
            queue.scheduled = false;
            queue.blocked = true;
            if (result == Result.STOP) {
                halted = true;
                workAvailable.signalAll();
                roomAvailable.signalAll();
                notify = true;
            }
        }
        if (waiters > 0) {
            changed.signalAll();
        }
        if (roomWaiter && readable(roomWanted) > 0) {
            roomAvailable.signal();
        }
        return notify;
    }

    /** A record on its way through the dispatcher. */
    private static final class Work {
        private static final int FREE = 0;
        private static final int DECODING_AHEAD = 1;
        private static final int DECODED_AHEAD = 2;
        private static final int TAKEN = 3;
        private static final java.lang.invoke.VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Work.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final StoredRecord record;
        final CommitTracker.Slot slot;
        KeyQueue queue;
        /** Who decodes it: FREE until the read loop or the worker claims it. */
        private volatile int state;
        /** What the read loop decoded; written before state becomes DECODED_AHEAD, which publishes it. */
        private Object decoded;

        Work(StoredRecord record, CommitTracker.Slot slot) {
            this.record = record;
            this.slot = slot;
        }

        /** The read loop claims it for decoding; false if the worker took it already. */
        boolean claimAhead() {
            return STATE.compareAndSet(this, FREE, DECODING_AHEAD);
        }

        void decodedAhead(Object value) {
            decoded = value;
            state = DECODED_AHEAD;
        }

        /**
         * The worker takes it: what the read loop decoded, or null to decode it itself (also while
         * the read loop is still decoding it: the worker never waits for that).
         */
        Object take() {
            int before = (int) STATE.compareAndExchange(this, FREE, TAKEN);
            return before == DECODED_AHEAD ? decoded : null;
        }
    }

    /** One submitted batch, for {@link #decodeAhead}: its records and the next to look at, going back. */
    private static final class Batch {
        final Work[] works;
        int next;

        Batch(Work[] works) {
            this.works = works;
            this.next = works.length - 1;
        }
    }

    /** The records of one sharding key (or of all, with one worker), oldest first. */
    private static final class KeyQueue {
        final String key;
        final ArrayDeque<Work> items = new ArrayDeque<>();
        /** In the ready queue or running on a worker. */
        boolean scheduled;
        /** Its head was abandoned or stopped: it never runs again. */
        boolean blocked;

        KeyQueue(String key) {
            this.key = key;
        }
    }

    /** Takes records and runs them until the dispatcher shuts down. */
    private final class Worker implements Runnable {
        Thread thread;
        volatile Work current;

        @Override
        public void run() {
            Work previous = null;
            Result previousResult = null;
            while (true) {
                Work work;
                boolean notify = false;
                lock.lock();
                try {
                    // book the last record and take the next one under one lock: one acquisition per record
                    if (previous != null) {
                        notify = finished(this, previous, previousResult);
                        previous = null;
                    }
                    work = notify ? null : next(this);
                } catch (InterruptedException e) {
                    // interrupted while idle (by close): look again, shutdown() ends the loop
                    continue;
                } finally {
                    lock.unlock();
                }
                if (notify) {
                    onIdleOrHalt.run(); // outside the lock: it wakes the reader
                    continue;
                }
                if (work == null) {
                    return;
                }
                Result result;
                try {
                    result = handler.handle(work.record, work.take());
                } catch (Throwable bug) {
                    // the failure handler reports every handler failure itself; this is a bug of its own
                    unexpected.compareAndSet(null, bug);
                    result = Result.STOP;
                }
                Thread.interrupted(); // an interrupt meant for this record must not hit the next one
                previous = work;
                previousResult = result;
            }
        }
    }

    /** For tests: waits until every worker thread has ended, up to {@code timeout}. */
    boolean awaitWorkersEnded(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Worker worker : workers) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedJoin(worker.thread, left);
            if (worker.thread.isAlive()) {
                return false;
            }
        }
        return true;
    }
}
