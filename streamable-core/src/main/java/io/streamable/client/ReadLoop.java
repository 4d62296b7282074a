package io.streamable.client;

import io.streamable.Position;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.Rebalance;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.TopicReader;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.RetentionGap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The consumer's own thread: reads batches as long as the dispatcher has room, hands them over,
 * saves the handled position when due (every N messages or T, when caught up, at the end) and
 * fires the caught-up callback once everything read is handled. The reader is used by this thread
 * only. A {@link ConsumerFencedException} from a read or a commit stops everything at once.
 *
 * <p>For a consumer group member it is also the {@link RebalanceListener}: the backend calls it on
 * this thread from inside a read, before the member's slots change. When the change revokes slots
 * or rewinds positions it waits until every record handed out is handled (the members' other keys
 * pause that long), commits, and restarts the commit tracker, since the reader may now return
 * positions below those it returned before. A change that only adds partitions of their own goes
 * through without waiting. The user hears of a change only once it took effect, from the
 * {@link AssignmentReporter} the loop consults after each read.
 */
final class ReadLoop implements Runnable, RebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(ReadLoop.class);
    /**
     * The longest an idle read waits. Readers return as soon as the backend signals new records
     * and close() wakes them, so this only bounds how late a due commit can be when idle.
     */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(5);
    private static final Duration MAX_UNAVAILABLE_BACKOFF = Duration.ofSeconds(5);
    /** How many records the loop decodes ahead of the workers between two looks at the dispatcher. */
    private static final int DECODE_AHEAD_STEP = 32;

    private final ConsumerSettings<?> settings;
    private final TopicReader reader;
    private final Dispatcher dispatcher;
    private final FailureReporter reporter;
    private final CountDownLatch closing;
    private final AtomicReference<Throwable> stopCause;
    /** Set before the loop runs; null reports nothing. */
    private RetentionReporter retentionGaps;
    /** Set before the loop runs for a consumer group member; null for any other reader. */
    private AssignmentReporter assignments;

    // touched by the loop thread only
    /** The last position saved since the tracker (re)started: what need not be saved again. */
    private Optional<Position> committed;
    /** The last position saved, kept across rebalances, for {@link #lastCommitted()}. */
    private volatile Optional<Position> lastCommitted;
    private long completedAtCommit;
    private long lastCommitNanos = System.nanoTime();
    private boolean fenced;

    /**
     * @param closing   counted down by close()
     * @param stopCause where the loop puts what stopped it (a fencing, an unexpected failure)
     */
    ReadLoop(ConsumerSettings<?> settings, TopicReader reader, Dispatcher dispatcher, FailureReporter reporter,
             CountDownLatch closing, AtomicReference<Throwable> stopCause) {
        this.settings = settings;
        this.reader = reader;
        this.dispatcher = dispatcher;
        this.reporter = reporter;
        this.closing = closing;
        this.stopCause = stopCause;
        this.committed = reader.startPosition();
        this.lastCommitted = committed;
    }

    /** The last position saved (or the start), also after a rebalance restarted the tracker; any thread. */
    Optional<Position> lastCommitted() {
        return lastCommitted;
    }

    /**
     * The barrier of a consumer group rebalance, on this loop's thread inside {@code reader.read}.
     * Waits for the records in flight without a time limit: a slot may move only once they are
     * handled (a handler stuck for ever holds the slots of this member until it is closed, or its
     * lease expires); it logs while it waits.
     */
    @Override
    public void beforeRebalance(Rebalance change) {
        if (!change.needsDrain()) {
            LOG.debug("The {} gains slots {} without waiting", settings.description(), change.assigned());
            return;
        }
        long started = System.nanoTime();
        try {
            Duration warnEvery = settings.closeTimeout().compareTo(Duration.ofSeconds(1)) < 0
                    ? Duration.ofSeconds(1) : settings.closeTimeout();
            while (!dispatcher.awaitDrained(warnEvery)) {
                LOG.warn("The {} has waited {} ms for {} message(s) in flight before giving up slots {} in a rebalance;"
                                + " the slots move once they are handled", settings.description(),
                        (System.nanoTime() - started) / 1_000_000, dispatcher.inFlight(), change.revoked());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // only a shutdown interrupts this thread; the read then ends the loop
        }
        // the slots move right after this: save now, retrying a backend that is away for a moment
        for (int attempt = 1; ; attempt++) {
            if (!commit(true)) {
                return; // fenced: the backend refuses the change itself
            }
            Optional<Position> handled = dispatcher.handled();
            if (handled.isEmpty() || handled.equals(committed) || attempt == 5 || isClosing()) {
                break; // after the last attempt the new owner redelivers what this one did not save
            }
            try {
                pause(backoff(attempt));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (dispatcher.restartTracker()) {
            committed = Optional.empty();
        }
        LOG.debug("The {} rebalanced: revoked {}, assigned {}, after waiting {} ms for messages in flight",
                settings.description(), change.revoked(), change.assigned(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Where gaps retention left before this consumer read them are reported; call before {@link #run()}. */
    void reportRetentionGapsTo(RetentionReporter reporter) {
        this.retentionGaps = reporter;
    }

    /**
     * Who is told when a consumer group member's slots changed; call before {@link #run()}. The
     * loop checks after every read (the only call in which a live member's slots change; a fenced
     * one's read throws instead) and before it hands on what that read returned.
     */
    void reportAssignmentsTo(AssignmentReporter reporter) {
        this.assignments = reporter;
    }

    /** Whether a fencing stopped the loop: then nothing may be committed any more. */
    boolean fenced() {
        return fenced;
    }

    @Override
    public void run() {
        try {
            loop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts this thread but a shutdown: just end
        } catch (Throwable unexpected) {
            dispatcher.halt();
            stopCause.compareAndSet(null, unexpected);
            reporter.report(Optional.empty(), 1, Outcome.STOPPED, unexpected);
        }
    }

    private void loop() throws InterruptedException {
        boolean deliveredSinceCaughtUp = true;
        boolean caughtUpPending = false;
        // At the start and after each delivery, ask without waiting: a reader that has nothing
        // returns only after its wait, and the caught-up callback must not be that late.
        boolean askWithoutWaiting = true;
        int unavailable = 0;
        while (!isClosing() && !dispatcher.isHalted()) {
            if (caughtUpPending && dispatcher.isIdle()) {
                caughtUpPending = false;
                if (!commit(true)) {
                    return;
                }
                fireCaughtUp();
            } else if (!commit(false)) {
                return;
            }
            // a batch's worth of room (or idle workers) before reading again: waking for every
            // completed record would make this thread and the workers take turns per record
            int room = dispatcher.roomFor(settings.batchSize());
            if (room == 0) {
                // rather than wait, decode records no worker has started yet (a few at a time, so
                // room, a close or a due commit is noticed soon); wait once there are none left
                if (dispatcher.decodeAhead(DECODE_AHEAD_STEP) == 0) {
                    dispatcher.awaitRoom(settings.batchSize(), waitFor(false));
                }
                continue;
            }
            Duration wait = askWithoutWaiting ? Duration.ZERO : waitFor(caughtUpPending);
            // while caught up but handlers still run, the worker finishing the last record wakes
            // the waiting read, so the callback is prompt; armed only around that read, so no
            // wake-up is left over to cut a later read short
            boolean armed = caughtUpPending && !wait.isZero();
            if (armed) {
                dispatcher.wakeWhenIdle(true);
                if (dispatcher.isIdle()) {
                    dispatcher.wakeWhenIdle(false);
                    continue;
                }
            }
            ReadBatch batch;
            try {
                batch = reader.read(Math.min(settings.batchSize(), room), wait);
                unavailable = 0;
            } catch (BackendUnavailableException e) {
                unavailable++;
                reporter.report(Optional.empty(), unavailable, Outcome.RETRYING, e);
                pause(backoff(unavailable));
                continue;
            } catch (ConsumerFencedException e) {
                fence(e);
                return;
            } catch (InterruptedException e) {
                return;
            } finally {
                if (armed) {
                    dispatcher.wakeWhenIdle(false);
                }
            }
            if (assignments != null) {
                // revoked slots are drained and saved by now (beforeRebalance, inside the read);
                // records of assigned slots are handed on only below
                assignments.check();
            }
            if (retentionGaps != null) {
                List<RetentionGap> gaps = reader.takeRetentionGaps();
                if (!gaps.isEmpty()) {
                    retentionGaps.report(gaps); // before the records after the gap are handed on
                }
            }
            boolean delivered = !batch.records().isEmpty();
            if (delivered) {
                dispatcher.submit(batch.records());
                deliveredSinceCaughtUp = true;
            }
            askWithoutWaiting = delivered;
            if (batch.caughtUp() && deliveredSinceCaughtUp) {
                deliveredSinceCaughtUp = false;
                caughtUpPending = true;
            } else if (delivered && !batch.caughtUp()) {
                caughtUpPending = false;
            }
        }
    }

    /** How long a read may wait: not past a due commit while handlers are still moving the position. */
    private Duration waitFor(boolean caughtUpPending) {
        if (!caughtUpPending && dispatcher.isIdle()
                && (settings.name().isEmpty() || dispatcher.handled().equals(committed))) {
            return IDLE_WAIT; // nothing left to save: an anonymous consumer saves nothing
        }
        return settings.commitInterval().compareTo(IDLE_WAIT) < 0
                ? (settings.commitInterval().isZero() ? Duration.ofMillis(10) : settings.commitInterval()) : IDLE_WAIT;
    }

    private boolean isClosing() {
        return closing.getCount() == 0;
    }

    /**
     * Saves the handled position if it moved and a save is due (or {@code force}). Returns false
     * if the consumer was fenced.
     */
    boolean commit(boolean force) {
        if (settings.name().isEmpty() || fenced) {
            return !fenced;
        }
        Optional<Position> position = dispatcher.handled();
        if (position.isEmpty() || position.equals(committed)) {
            return true;
        }
        long now = System.nanoTime();
        long completed = dispatcher.completedCount();
        boolean due = force || completed - completedAtCommit >= settings.commitEveryMessages()
                || now - lastCommitNanos >= settings.commitInterval().toNanos();
        if (!due) {
            return true;
        }
        try {
            reader.commit(position.get());
            committed = position;
            lastCommitted = position;
            completedAtCommit = completed;
            lastCommitNanos = now;
        } catch (ConsumerFencedException e) {
            fence(e);
            return false;
        } catch (RuntimeException e) {
            reporter.report(position, 1, Outcome.RETRYING, e);
        }
        return true;
    }

    private void fence(ConsumerFencedException e) {
        fenced = true;
        dispatcher.halt(); // nothing more is delivered: the new owner handles it
        stopCause.compareAndSet(null, e);
        reporter.report(Optional.empty(), 1, Outcome.STOPPED, e);
    }

    private void fireCaughtUp() {
        try {
            settings.onCaughtUp().run();
        } catch (RuntimeException e) {
            LOG.warn("The caught-up callback of {} threw; ignoring it", settings.description(), e);
        }
    }

    private void pause(Duration pause) throws InterruptedException {
        closing.await(pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Duration backoff(int failures) {
        long millis = 100L << Math.min(failures - 1, 6);
        return Duration.ofMillis(Math.min(millis, MAX_UNAVAILABLE_BACKOFF.toMillis()));
    }
}
