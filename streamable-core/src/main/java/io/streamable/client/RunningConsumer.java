package io.streamable.client;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.Topic;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.AssignmentListener;
import io.streamable.consume.Consumer;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.RetentionGapListener;
import io.streamable.consume.StartFrom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * One running consumer, put together from small parts: its {@link ConsumerSettings}, a
 * {@link ReadLoop} on its own thread, a {@link Dispatcher} with the handler threads, a
 * {@link CommitTracker} for the position it may save and a {@link FailureHandler} for the policy.
 * This class starts them and closes them.
 *
 * <p>Closing: no record starts after {@link #close()} except those queued below records already
 * started (so a clean close leaves no hole and a restart redelivers nothing); running handlers get
 * the close timeout, are then interrupted and get the same again; then the handled position is
 * saved and the reader closed, which releases the name, whatever the handlers do. A handler that
 * still has not returned is reported in the log and in {@link #stopped()}; its message is
 * delivered again on the next start.
 */
final class RunningConsumer<T> implements Consumer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(RunningConsumer.class);
    /** Marks the threads that run this consumer's handlers, so close() from a handler does not wait on itself. */
    private static final ThreadLocal<RunningConsumer<?>> CURRENT = new ThreadLocal<>();
    /** On top of the handler waits, how long close() gives the final save before releasing the name itself. */
    private static final Duration SAVE_GRACE = Duration.ofSeconds(10);

    private final ConsumerSettings<T> settings;
    private final TopicStore store;
    private final PayloadDecoder<T> decoder;
    private final Function<String, TopicStore> topics;
    private final java.util.function.Consumer<RunningConsumer<T>> onStopped;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private final AtomicBoolean readerClosed = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Completed the first time the consumer caught up, before the user's callback returns. */
    private final CompletableFuture<Void> caughtUp;
    private final AtomicReference<Throwable> stopCause = new AtomicReference<>();
    private final FailureReporter reporter;
    private volatile boolean running;
    /** For a consumer started {@code at(instant)}: records created before it are acknowledged, not handled. */
    private final Instant notBefore;
    private RetentionGapListener retentionGapListener = gap -> { };
    private AssignmentListener assignmentListener = change -> { };
    /** For a consumer group member: tells the listener what it owns; used on the loop thread only. */
    private AssignmentReporter assignments;

    private TopicReader reader;
    private FailureHandler<T> failures;
    private Dispatcher dispatcher;
    private ReadLoop loop;
    private Thread thread;

    /**
     * @param store     the topic's store
     * @param topics    opens other topics of the same backend (dead letters)
     * @param onStopped called once the consumer has stopped and released its name
     */
    RunningConsumer(ConsumerSettings<T> settings, TopicStore store, PayloadDecoder<T> decoder,
                    Function<String, TopicStore> topics, java.util.function.Consumer<RunningConsumer<T>> onStopped) {
        CompletableFuture<Void> firstCaughtUp = new CompletableFuture<>();
        Runnable userCallback = settings.onCaughtUp();
        settings = settings.withOnCaughtUp(() -> {
            try {
                userCallback.run();
            } finally {
                firstCaughtUp.complete(null);
            }
        });
        this.caughtUp = firstCaughtUp;
        this.settings = settings;
        this.store = store;
        this.decoder = decoder;
        this.topics = topics;
        this.onStopped = onStopped;
        this.reporter = new FailureReporter(settings);
        this.notBefore = settings.startFrom() instanceof StartFrom.At at ? at.instant() : null;
    }

    /** Who is told about positions retention removed unread, besides the log; call before {@link #start()}. */
    void onRetentionGap(RetentionGapListener listener) {
        this.retentionGapListener = listener;
    }

    /** Who is told when the slots of a consumer group member change; call before {@link #start()}. */
    void onAssignmentChange(AssignmentListener listener) {
        this.assignmentListener = listener;
    }

    /**
     * Opens the reader (taking the name) and starts the threads.
     *
     * @throws io.streamable.consume.ConsumerNameInUseException if a live consumer holds the name
     */
    void start() {
        ReaderSpec spec = new ReaderSpec(StartResolver.resolve(settings.startFrom(), store, settings.description()),
                settings.name());
        if (settings.name().isPresent() && store instanceof ConsumerGroups groups) {
            // the backend calls the listener only from inside read(), on the loop's thread, which
            // starts after the loop is assigned below
            reader = groups.joinGroup(spec, change -> loop.beforeRebalance(change));
        } else {
            reader = store.openReader(spec);
        }
        try {
            failures = new FailureHandler<>(settings, decoder, topics, reporter, closing);
            AtomicInteger workerNumber = new AtomicInteger();
            dispatcher = new Dispatcher(settings.concurrency(), settings.maxInFlight(),
                    new CommitTracker(reader.startPosition()), this::handle, this::decodeAhead, reader::wakeup, runnable -> {
                        Thread worker = new Thread(() -> {
                            CURRENT.set(this);
                            runnable.run();
                        }, settings.threadName() + "-handler-" + workerNumber.incrementAndGet());
                        worker.setDaemon(true);
                        return worker;
                    });
            loop = new ReadLoop(settings, reader, dispatcher, reporter, closing, stopCause);
            loop.reportRetentionGapsTo(new RetentionReporter(settings.description(), retentionGapListener));
            if (reader instanceof GroupMemberReader member) {
                assignments = new AssignmentReporter(settings.topic().name(), settings.name().orElseThrow(),
                        settings.description(), member, assignmentListener, Clock.systemUTC());
                loop.reportAssignmentsTo(assignments);
            }
            running = true;
            thread = new Thread(() -> {
                CURRENT.set(this);
                try {
                    loop.run();
                } finally {
                    shutdown();
                }
            }, settings.threadName());
            thread.start();
        } catch (RuntimeException | Error e) {
            running = false;
            if (dispatcher != null) {
                dispatcher.shutdown();
            }
            closeReader();
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    private FailureHandler.Result handle(StoredRecord record, Object decoded) {
        if (notBefore(record)) {
            // after the start position but created before the instant (producers' clocks differ): not wanted
            return FailureHandler.Result.DONE;
        }
        return failures.handle(record, (Message<T>) decoded);
    }

    /** On the read loop's thread, while it waits for room: see {@link Dispatcher#decodeAhead}. */
    private Object decodeAhead(StoredRecord record) {
        return notBefore(record) ? null : failures.decodeAhead(record);
    }

    private boolean notBefore(StoredRecord record) {
        return notBefore != null && record.defect().isEmpty() && record.createdAt().isBefore(notBefore);
    }

    /** The close sequence, on the loop thread once the loop has ended. */
    private void shutdown() {
        running = false;
        List<String> unfinished = List.of();
        try {
            if (loop.fenced() || dispatcher.isHalted()) {
                dispatcher.halt();
            } else {
                dispatcher.beginClose();
            }
            Duration timeout = settings.closeTimeout();
            if (!dispatcher.awaitQuiescent(timeout)) {
                List<Position> interrupted = dispatcher.interruptRunning();
                LOG.warn("Handler(s) of {} at position(s) {} did not return within the close timeout {}; interrupting them",
                        settings.description(), interrupted, timeout);
                if (!dispatcher.awaitQuiescent(timeout.plusSeconds(1))) {
                    unfinished = dispatcher.stillRunning();
                }
            }
            loop.commit(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unfinished = dispatcher.stillRunning();
        } catch (RuntimeException e) {
            LOG.warn("The final save of {} failed", settings.description(), e);
        } finally {
            dispatcher.shutdown();
            closeReader();
            try {
                if (assignments != null) {
                    assignments.stopped(); // the reader left the group: its slots are free, saved as far as they got
                }
            } finally {
                finish(unfinished); // stopped() completes whatever the listener does
            }
        }
    }

    private void finish(List<String> unfinished) {
        failures.stopCause().ifPresent(cause -> stopCause.compareAndSet(null, cause));
        dispatcher.unexpectedFailure().ifPresent(cause -> stopCause.compareAndSet(null, cause));
        Throwable cause = stopCause.get();
        if (!unfinished.isEmpty()) {
            StreamableException left = new StreamableException("The " + settings.description() + " closed with handler(s)"
                    + " still running after being interrupted, at " + String.join(", ", unfinished) + ": their threads are"
                    + " left behind and their messages are delivered again on the next start. The name is released."
                    + " Make handlers return when interrupted.");
            LOG.warn("{}", left.getMessage());
            if (cause == null) {
                cause = left;
            } else {
                cause.addSuppressed(left);
            }
        }
        try {
            onStopped.accept(this);
        } finally {
            if (cause == null) {
                stopped.complete(null);
            } else {
                stopped.completeExceptionally(cause);
            }
        }
    }

    private void closeReader() {
        if (reader != null && readerClosed.compareAndSet(false, true)) {
            try {
                reader.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the reader of {} failed", settings.description(), e);
            }
        }
    }

    @Override
    public Topic<T> topic() {
        return settings.topic();
    }

    @Override
    public Optional<String> name() {
        return settings.name();
    }

    @Override
    public Optional<Position> position() {
        Optional<Position> handled = dispatcher.handled();
        // right after a rebalance the tracker starts afresh: until something is handled, the last save stands
        return handled.isPresent() ? handled : loop.lastCommitted();
    }

    @Override
    public long lag() {
        if (reader instanceof GroupMemberReader member) {
            return member.lag(dispatcher.handled());
        }
        return store.lag(position());
    }

    @Override
    public Optional<GroupAssignment> assignment() {
        if (reader instanceof GroupMemberReader member) {
            return Optional.of(new GroupAssignment(member.memberId(), member.slotCount(), member.slots()));
        }
        return Optional.empty();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    @Override
    public void awaitCaughtUp(Duration timeout) throws TimeoutException, InterruptedException {
        try {
            CompletableFuture.anyOf(caughtUp, stopped).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new StreamableException("The " + settings.description() + " stopped before it caught up: "
                    + e.getCause().getMessage(), e.getCause());
        }
        if (!caughtUp.isDone()) {
            throw new StreamableException("The " + settings.description() + " was closed before it caught up");
        }
    }

    @Override
    public void close() {
        if (thread == null) {
            return; // start() failed, and released what it had taken
        }
        if (closeRequested.compareAndSet(false, true)) {
            closing.countDown();
            dispatcher.beginClose();
            reader.wakeup();
        }
        if (CURRENT.get() == this) {
            return; // called from a handler: the consumer shuts down once the handler returns
        }
        Duration handlers = settings.closeTimeout().multipliedBy(2).plusSeconds(1);
        try {
            thread.join(Math.max(1, handlers.plus(SAVE_GRACE).toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // the final save hangs (the backend is unreachable): release the name anyway
            LOG.warn("The {} did not finish closing within {}; releasing its name without a final save",
                    settings.description(), handlers.plus(SAVE_GRACE));
            closeReader();
        }
    }

    @Override
    public String toString() {
        return "Consumer[" + settings.description() + "]";
    }
}
