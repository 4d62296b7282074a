package io.streamable.client;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.codec.PayloadCodecException;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.ConsumerFailure.Outcome;
import io.streamable.consume.FailurePolicy;
import io.streamable.schema.PayloadBinding;
import io.streamable.schema.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One consumer: a thread that reads batches from a {@link TopicReader}, decodes and hands each
 * message to the handler under the failure policy, folds handled positions into the consumer's
 * position and saves it. With concurrency above one, a batch is split into lanes by sharding key,
 * so one key's messages stay sequential, and the position advances over the batch's longest fully
 * handled prefix only: nothing is acknowledged before everything ahead of it is.
 */
final class ConsumerLoop<T> implements Consumer<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerLoop.class);
    /**
     * The longest an idle read waits. Readers return as soon as the backend signals new records
     * and close() wakes them, so this only bounds how late a due commit can be when idle.
     */
    private static final Duration IDLE_WAIT = Duration.ofSeconds(5);
    private static final Duration MAX_UNAVAILABLE_BACKOFF = Duration.ofSeconds(5);
    private static final Duration DEAD_LETTER_TIMEOUT = Duration.ofSeconds(30);
    /** Marks the threads that run this consumer's handlers, so close() from a handler does not wait on itself. */
    private static final ThreadLocal<ConsumerLoop<?>> CURRENT = new ThreadLocal<>();

    private enum Handled { DONE, STOP, ABANDONED }

    private final DefaultConsumerBuilder<T> options;
    private final Topic<T> topic;
    private final TopicStore store;
    private final PayloadBinding<T> binding;
    private final String description;
    /** The user's handler inside the Streamable's consumer interceptors. */
    private final io.streamable.consume.MessageHandler<T> handler;

    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicReference<Position> handled = new AtomicReference<>();
    private final AtomicReference<Throwable> stopCause = new AtomicReference<>();
    private volatile boolean running;

    private TopicReader reader;
    private Thread thread;
    private ExecutorService[] lanes;

    // touched by the loop thread only
    private Position committed;
    private int handledSinceCommit;
    private long lastCommitNanos = System.nanoTime();

    ConsumerLoop(DefaultConsumerBuilder<T> options) {
        this.options = options;
        this.topic = options.topic;
        this.store = options.owner.backend().topic(topic.name());
        this.binding = options.owner.consumerBinding(topic);
        this.handler = io.streamable.consume.ConsumerInterceptor.chain(options.owner.interceptors().consumer(),
                options.name, options.handler);
        this.description = "consumer " + options.name.map(n -> '"' + n + '"').orElse("(unnamed)")
                + " of topic \"" + topic.name() + "\"";
    }

    void start() {
        reader = store.openReader(new ReaderSpec(StartResolver.resolve(options.startFrom, store, description),
                options.name));
        handled.set(reader.startPosition().orElse(null));
        if (options.concurrency > 1) {
            lanes = new ExecutorService[options.concurrency];
            AtomicInteger laneNumber = new AtomicInteger();
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = Executors.newSingleThreadExecutor(runnable -> {
                    Thread lane = new Thread(() -> {
                        CURRENT.set(this);
                        runnable.run();
                    }, threadName() + "-lane-" + laneNumber.incrementAndGet());
                    lane.setDaemon(true);
                    return lane;
                });
            }
        }
        running = true;
        thread = new Thread(this::run, threadName());
        thread.start();
    }

    private String threadName() {
        return "streamable-" + topic.name() + options.name.map(n -> "-" + n).orElse("");
    }

    private void run() {
        CURRENT.set(this);
        try {
            boolean deliveredSinceCaughtUp = true;
            // At the start and after each delivery, ask without waiting: a reader that has nothing
            // returns only after its wait, and the caught-up callback must not be that late.
            boolean askWithoutWaiting = true;
            int unavailable = 0;
            while (!closing.get()) {
                ReadBatch batch;
                try {
                    batch = reader.read(options.batchSize, askWithoutWaiting ? Duration.ZERO : IDLE_WAIT);
                    askWithoutWaiting = !batch.records().isEmpty();
                    unavailable = 0;
                } catch (BackendUnavailableException e) {
                    unavailable++;
                    report(Optional.empty(), unavailable, Outcome.RETRYING, e);
                    pauseUnlessClosed(backoff(unavailable));
                    continue;
                } catch (InterruptedException e) {
                    break;
                }
                if (!batch.records().isEmpty()) {
                    boolean carryOn = options.concurrency > 1 ? deliverConcurrently(batch.records())
                            : deliverInOrder(batch.records());
                    if (!carryOn) {
                        break;
                    }
                    deliveredSinceCaughtUp = true;
                }
                if (batch.caughtUp() && deliveredSinceCaughtUp && !closing.get()) {
                    commit(true);
                    deliveredSinceCaughtUp = false;
                    fireCaughtUp();
                } else {
                    commit(false);
                }
            }
        } catch (Throwable unexpected) {
            stopCause.compareAndSet(null, unexpected);
            report(Optional.empty(), 1, Outcome.STOPPED, unexpected);
        } finally {
            shutdown();
        }
    }

    private boolean deliverInOrder(List<StoredRecord> records) {
        for (StoredRecord record : records) {
            if (closing.get()) {
                return false;
            }
            if (handle(record) != Handled.DONE) {
                return false;
            }
            advance(record.position());
            commit(false);
        }
        return true;
    }

    private boolean deliverConcurrently(List<StoredRecord> records) {
        int count = records.size();
        // atomic, so the handled prefix is visible here even when close() interrupts the wait for the lanes
        AtomicIntegerArray done = new AtomicIntegerArray(count);
        AtomicBoolean halt = new AtomicBoolean();
        Map<Integer, List<Integer>> byLane = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int lane = Math.floorMod(records.get(i).shardingKey().hashCode(), lanes.length);
            byLane.computeIfAbsent(lane, l -> new ArrayList<>()).add(i);
        }
        List<Future<?>> running = new ArrayList<>(byLane.size());
        byLane.forEach((lane, indexes) -> running.add(lanes[lane].submit(() -> {
            for (int index : indexes) {
                if (halt.get() || closing.get()) {
                    return;
                }
                if (handle(records.get(index)) != Handled.DONE) {
                    halt.set(true);
                    return;
                }
                done.set(index, 1);
            }
        })));
        boolean interrupted = false;
        for (Future<?> lane : running) {
            try {
                lane.get();
            } catch (InterruptedException e) {
                interrupted = true;
                break;
            } catch (ExecutionException e) {
                stopCause.compareAndSet(null, e.getCause());
                halt.set(true);
            }
        }
        // also when interrupted by close(): what was handled before the interruption is acknowledged
        for (int i = 0; i < count && done.get(i) == 1; i++) {
            advance(records.get(i).position());
        }
        if (!interrupted) {
            commit(false);
        }
        return !interrupted && !halt.get() && !closing.get();
    }

    private Handled handle(StoredRecord record) {
        Message<T> message;
        try {
            message = decode(record);
        } catch (PayloadCodecException e) {
            return exhausted(record, 1, e);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                handler.handle(message);
                return Handled.DONE;
            } catch (Exception e) {
                if (closing.get()) {
                    return Handled.ABANDONED; // interrupted by close(): not acknowledged, delivered again later
                }
                if (attempt >= options.failurePolicy.maxAttempts()) {
                    return exhausted(record, attempt, e);
                }
                LOG.debug("Handler of {} failed at position {} (attempt {}), retrying", description,
                        record.position(), attempt, e);
                if (!pauseUnlessClosed(options.failurePolicy.backoffAfter(attempt))) {
                    return Handled.ABANDONED;
                }
            }
        }
    }

    private Message<T> decode(StoredRecord record) {
        T payload;
        try {
            payload = binding.decode(record);
        } catch (RuntimeException e) {
            String version = record.headers().get(SchemaRegistry.VERSION_HEADER);
            throw new PayloadCodecException("The message at position " + record.position() + " of topic \""
                    + topic.name() + "\" (sharding key \"" + record.shardingKey() + "\""
                    + (version == null ? ", no schema version" : ", schema version " + version) + ") does not decode as "
                    + topic.payloadType() + ": " + e.getMessage() + ". Make the payload type able to read the"
                    + " stored data (optional properties, defaults, a new version), or dead-letter the message.", e);
        }
        return new Message<>(topic.name(), record.position(), record.createdAt(), record.shardingKey(),
                record.logCompactId(), record.headers(), payload);
    }

    private Handled exhausted(StoredRecord record, int attempts, Exception cause) {
        FailurePolicy policy = options.failurePolicy;
        Optional<Position> at = Optional.of(record.position());
        switch (policy.whenExhausted()) {
            case SKIP -> {
                report(at, attempts, Outcome.SKIPPED, cause);
                return Handled.DONE;
            }
            case DEAD_LETTER -> {
                String deadLetterTopic = policy.deadLetterTopic().orElseThrow();
                try {
                    deadLetter(record, deadLetterTopic, cause);
                    report(at, attempts, Outcome.DEAD_LETTERED, cause);
                    return Handled.DONE;
                } catch (Exception e) {
                    StreamableException failure = new StreamableException("Could not move the message at position "
                            + record.position() + " of topic \"" + topic.name() + "\" to dead-letter topic \""
                            + deadLetterTopic + "\": " + e.getMessage() + "; the " + description
                            + " stops without passing it", e);
                    failure.addSuppressed(cause);
                    return stop(record, attempts, failure);
                }
            }
            default -> {
                return stop(record, attempts, cause);
            }
        }
    }

    private Handled stop(StoredRecord record, int attempts, Throwable cause) {
        stopCause.compareAndSet(null, new StreamableException("The " + description + " stopped at position "
                + record.position() + " after " + attempts + " failed attempt(s): " + cause.getMessage()
                + ". Its position stays before this message, so a restart delivers it again.", cause));
        report(Optional.of(record.position()), attempts, Outcome.STOPPED, cause);
        return Handled.STOP;
    }

    private void deadLetter(StoredRecord record, String deadLetterTopic, Exception cause) throws Exception {
        Map<String, String> headers = new HashMap<>(record.headers());
        headers.put(FailurePolicy.DLQ_SOURCE_TOPIC, topic.name());
        headers.put(FailurePolicy.DLQ_SOURCE_POSITION, record.position().encode());
        headers.put(FailurePolicy.DLQ_ERROR, String.valueOf(cause));
        options.name.ifPresent(name -> headers.put(FailurePolicy.DLQ_CONSUMER, name));
        AppendRecord copy = new AppendRecord(record.shardingKey(), Optional.empty(), headers, record.payload());
        try {
            options.owner.backend().topic(deadLetterTopic).append(List.of(copy))
                    .get(DEAD_LETTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception inner ? inner : e;
        } catch (TimeoutException e) {
            throw new StreamableException("the append did not complete within " + DEAD_LETTER_TIMEOUT, e);
        }
    }

    private void advance(Position position) {
        handled.accumulateAndGet(position, (current, next) -> current == null ? next : current.merge(next));
        handledSinceCommit++;
    }

    private void commit(boolean force) {
        if (options.name.isEmpty()) {
            return;
        }
        Position position = handled.get();
        if (position == null || position.equals(committed)) {
            return;
        }
        long now = System.nanoTime();
        boolean due = force || handledSinceCommit >= options.commitEveryMessages
                || now - lastCommitNanos >= options.commitInterval.toNanos();
        if (!due) {
            return;
        }
        try {
            reader.commit(position);
            committed = position;
            handledSinceCommit = 0;
            lastCommitNanos = now;
        } catch (RuntimeException e) {
            report(Optional.of(position), 1, Outcome.RETRYING, e);
        }
    }

    private void fireCaughtUp() {
        try {
            options.onCaughtUp.run();
        } catch (RuntimeException e) {
            LOG.warn("The caught-up callback of {} threw; ignoring it", description, e);
        }
    }

    private void report(Optional<Position> position, int attempts, Outcome outcome, Throwable cause) {
        ConsumerFailure failure = new ConsumerFailure(topic.name(), options.name, position, attempts, outcome, cause);
        if (options.failureListener == null) {
            if (outcome == Outcome.STOPPED) {
                LOG.error("{}", failure, cause);
            } else {
                LOG.warn("{}", failure);
            }
            return;
        }
        try {
            options.failureListener.onFailure(failure);
        } catch (RuntimeException e) {
            LOG.warn("The failure listener of {} threw while reporting {}", description, failure, e);
        }
    }

    /** Waits, unless the consumer closes first; returns false if it did. */
    private boolean pauseUnlessClosed(Duration pause) {
        try {
            return !closeSignal.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Duration backoff(int failures) {
        long millis = 100L << Math.min(failures - 1, 6);
        return Duration.ofMillis(Math.min(millis, MAX_UNAVAILABLE_BACKOFF.toMillis()));
    }

    private void shutdown() {
        running = false;
        try {
            commit(true);
        } finally {
            if (lanes != null) {
                for (ExecutorService lane : lanes) {
                    lane.shutdownNow();
                }
            }
            try {
                reader.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the reader of {} failed", description, e);
            }
            options.owner.untrack(this);
            Throwable cause = stopCause.get();
            if (cause == null) {
                stopped.complete(null);
            } else {
                stopped.completeExceptionally(cause);
            }
        }
    }

    @Override
    public Topic<T> topic() {
        return topic;
    }

    @Override
    public Optional<String> name() {
        return options.name;
    }

    @Override
    public Optional<Position> position() {
        return Optional.ofNullable(handled.get());
    }

    @Override
    public long lag() {
        return store.lag(position());
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
    public void close() {
        if (closing.compareAndSet(false, true)) {
            closeSignal.countDown();
            reader.wakeup();
        }
        if (CURRENT.get() == this || thread == null) {
            return; // called from a handler: the loop shuts down once the handler returns
        }
        try {
            thread.join(Math.max(1, options.closeTimeout.toMillis()));
            if (thread.isAlive()) {
                LOG.warn("A handler of {} did not return within {}; interrupting it", description, options.closeTimeout);
                thread.interrupt();
                if (lanes != null) {
                    for (ExecutorService lane : lanes) {
                        lane.shutdownNow();
                    }
                }
                thread.join(Math.max(1, options.closeTimeout.toMillis()) + 1000);
                if (thread.isAlive()) {
                    LOG.warn("The {} is still blocked after being interrupted; leaving its thread behind", description);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Consumer[" + description + "]";
    }
}
