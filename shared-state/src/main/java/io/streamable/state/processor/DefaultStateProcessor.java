package io.streamable.state.processor;

import io.streamable.Message;
import io.streamable.backend.ConsumerGroups;
import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.Change;
import io.streamable.state.PendingOutput;
import io.streamable.state.Source;
import io.streamable.state.UpdateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One processor instance: a named consumer per input whose handler runs an apply-once update that
 * keeps the step's output in the key's outbox, appends it, and then acknowledges it; a redelivered
 * message whose output is still pending appends that output instead.
 */
final class DefaultStateProcessor<V, O> implements StateProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStateProcessor.class);
    private static final int APPEND_ATTEMPTS = 3;
    private static final long APPEND_BACKOFF_MILLIS = 100;

    private final StateProcessorBuilder<V, O> options;
    /** The consumer name on the inputs: the processor's group, or this instance alone on a backend without groups. */
    private final String consumerName;
    /** This instance: what it writes into the outbox, and how it finds its own entries again. */
    private final String writerName;
    private final Producer<O> producer;
    private final List<Consumer<?>> consumers = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder handled = new LongAdder();
    private final LongAdder otherShards = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private final LongAdder alreadyApplied = new LongAdder();
    private final LongAdder emitted = new LongAdder();
    private final LongAdder emitFailures = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final OutboxCodec<O> outbox;
    private volatile ScheduledExecutorService sweeper;

    private DefaultStateProcessor(StateProcessorBuilder<V, O> options) {
        this.options = options;
        this.writerName = options.consumerName();
        // instances of one processor form a consumer group where the backend has them, so each
        // handles its share of the keys; elsewhere each reads everything under a name of its own
        boolean grouped = options.inputs.stream()
                .allMatch(input -> options.streamable.backend().topic(input.topic().name()) instanceof ConsumerGroups);
        this.consumerName = grouped ? options.groupName() : writerName;
        this.producer = options.output == null ? null : options.streamable.producer(options.output);
        this.outbox = options.output == null ? null
                : new OutboxCodec<>(options.outboxCodecs.codecFor(options.output.payloadType()));
    }

    static <V, O> StateProcessor start(StateProcessorBuilder<V, O> options) {
        DefaultStateProcessor<V, O> processor = new DefaultStateProcessor<>(options);
        try {
            if (processor.producer != null) {
                processor.deliverPending(true);
                processor.startSweeper();
            }
            for (StateProcessorBuilder.Input<?, V, O> input : options.inputs) {
                processor.consumers.add(processor.startInput(input));
            }
        } catch (RuntimeException e) {
            processor.close();
            throw e;
        }
        CompletableFuture.allOf(processor.consumers.stream().map(Consumer::stopped).toArray(CompletableFuture[]::new))
                .whenComplete((done, failure) -> {
                    if (processor.sweeper != null) {
                        processor.sweeper.shutdownNow(); // every input has stopped: nothing left to deliver for
                    }
                    if (failure == null) {
                        processor.stopped.complete(null);
                    } else {
                        processor.stopped.completeExceptionally(failure instanceof java.util.concurrent.CompletionException
                                && failure.getCause() != null ? failure.getCause() : failure);
                    }
                });
        for (Consumer<?> consumer : processor.consumers) {
            consumer.stopped().whenComplete((done, failure) -> {
                if (failure != null) {
                    LOG.error("Input consumer {} of state processor {} stopped on a failure; closing the processor",
                            consumer, processor.consumerName, failure);
                    processor.closeAsync();
                }
            });
        }
        LOG.info("State processor {} started on inputs {} with state store \"{}\"", processor.consumerName,
                options.inputs.stream().map(input -> input.topic().name()).toList(), options.store.name());
        return processor;
    }

    private <T> Consumer<T> startInput(StateProcessorBuilder.Input<T, V, O> input) {
        ConsumerBuilder<T> builder = options.streamable.consumer(input.topic())
                .name(consumerName)
                .startFrom(options.startFrom)
                .concurrency(options.concurrency)
                .failurePolicy(options.failurePolicy)
                .onCaughtUp(options.onCaughtUp)
                .handler(message -> handle(input, message));
        options.failureListener.ifPresent(builder::onFailure);
        return builder.start();
    }

    private <T> void handle(StateProcessorBuilder.Input<T, V, O> input, Message<T> message) throws Exception {
        if (options.shardCount > 1
                && Math.floorMod(message.shardingKey().hashCode(), options.shardCount) != options.shardIndex) {
            otherShards.increment(); // another shard's instances handle it
            return;
        }
        String key = input.keyOf().apply(message);
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("The key function of state processor " + options.name
                    + " returned no key for the message at " + message.topic() + "@" + message.position()
                    + "; return the state key the message updates, for example its sharding key");
        }
        Source source = Source.of(message);
        AtomicReference<Step<V, O>> decided = new AtomicReference<>();
        UpdateResult<V> result;
        try {
            result = update(input, message, key, source, decided);
        } catch (TransitionFailed e) {
            throw (Exception) e.getCause();
        }
        handled.increment();
        if (!result.applied()) {
            alreadyApplied.increment();
            if (result.pending().isPresent()) {
                // applied before and not delivered yet: deliver it if this instance wrote it (its
                // append failed, or it died and restarted), or if its writer has had long enough;
                // otherwise the writer is most likely appending it right now
                PendingOutput pending = result.pending().get();
                OutboxCodec.Entry<O> entry = outbox.decode(pending.output());
                if (isOurs(entry) || isStale(entry)) {
                    deliver(key, pending.version(), source, entry.messages());
                    redelivered.increment();
                }
            }
            return;
        }
        applied.increment();
        List<OutgoingMessage<O>> outputs = decided.get().emit();
        if (!outputs.isEmpty()) {
            deliver(key, result.version(), source, outputs);
        }
    }

    private <T> UpdateResult<V> update(StateProcessorBuilder.Input<T, V, O> input, Message<T> message, String key,
                                       Source source, AtomicReference<Step<V, O>> decided) {
        return options.store.computeWithOutput(key, source, current -> {
            Step<V, O> step;
            try {
                step = input.transition().apply(current, message);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new TransitionFailed(e);
            }
            if (step == null) {
                throw new IllegalStateException("The transition of state processor " + options.name
                        + " returned null for key \"" + key + "\"; return a Step, for example Step.of(state)");
            }
            if (!step.emit().isEmpty() && producer == null) {
                // checked before the write: applying the state and then dropping the output would lose it silently
                throw new IllegalStateException("The transition of state processor " + options.name + " emitted "
                        + step.emit().size() + " message(s) but the processor has no output topic; build it with"
                        + " StateProcessor.builder(streamable, store, outputTopic)");
            }
            decided.set(step);
            // the outputs go into the key's outbox in the same write as the state, until delivered
            return new Change<>(step.state(), step.emit().isEmpty() ? Optional.empty()
                    : Optional.of(outbox.encode(writerName, System.currentTimeMillis(), step.emit())));
        });
    }

    private boolean isOurs(OutboxCodec.Entry<O> entry) {
        return entry.writer().equals(writerName);
    }

    private boolean isStale(OutboxCodec.Entry<O> entry) {
        return System.currentTimeMillis() - entry.writtenAtMillis() >= options.outboxGrace.toMillis();
    }

    /**
     * Delivers what earlier instances applied and did not get to append: at start, and then every
     * grace period, the entries this instance's name wrote (a previous run of it) and those older
     * than the grace period (their writer is gone or stuck).
     */
    private void deliverPending(boolean atStart) {
        Set<String> inputs = new HashSet<>();
        options.inputs.forEach(input -> inputs.add(input.topic().name()));
        AtomicLong delivered = new AtomicLong();
        try {
            options.store.forEachPending(pending -> {
                if (closed.get() || !inputs.contains(pending.source().topic())) {
                    return; // closing, or another processor's input sharing the store
                }
                try {
                    OutboxCodec.Entry<O> entry = outbox.decode(pending.output());
                    // after the start, this instance's own entries are appends under way in its handlers
                    if (!(atStart && isOurs(entry)) && !isStale(entry)) {
                        return;
                    }
                    deliver(pending.key(), pending.version(), pending.source(), entry.messages());
                    redelivered.increment();
                    delivered.incrementAndGet();
                } catch (Exception e) {
                    LOG.warn("State processor {} could not deliver the pending output of {} for key \"{}\"; it stays"
                                    + " in the outbox for a redelivery of that message or the next start",
                            consumerName, pending.source(), pending.key(), e);
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("State processor {} could not list the pending outputs of state store \"{}\"; they stay in the"
                    + " outbox for the next start", consumerName, options.store.name(), e);
        }
        if (delivered.get() > 0) {
            LOG.info("State processor {} delivered {} pending output set(s) left by earlier instances", consumerName,
                    delivered.get());
        }
    }

    /**
     * Appends a source's outputs, stamped with key, version and source headers, then removes them
     * from the outbox. A failure leaves them there: the handler fails, the message is handled
     * again, refused as applied, and its pending output delivered then.
     */
    private void deliver(String key, long version, Source source, List<OutgoingMessage<O>> outputs) throws Exception {
        List<OutgoingMessage<O>> stamped = new ArrayList<>(outputs.size());
        for (OutgoingMessage<O> output : outputs) {
            stamped.add(output.withHeader(KEY_HEADER, key).withHeader(VERSION_HEADER, Long.toString(version))
                    .withHeader(SOURCE_HEADER, source.toString()));
        }
        for (int attempt = 1; ; attempt++) {
            try {
                producer.appendAll(stamped).get();
                emitted.add(stamped.size());
                break;
            } catch (ExecutionException e) {
                boolean transient_ = e.getCause() instanceof BackendUnavailableException;
                if (!transient_ || attempt >= APPEND_ATTEMPTS) {
                    emitFailures.increment();
                    LOG.error("State processor {} applied {} to key \"{}\" (version {}) but could not append its {}"
                                    + " output message(s) to \"{}\"; they stay in the outbox and are appended when the"
                                    + " message is handled again", consumerName, source, key, version, stamped.size(),
                            producer.topic().name(), e.getCause());
                    throw new StreamableException("Output of " + source + " for key \"" + key + "\" not appended yet: "
                            + e.getCause(), e.getCause());
                }
                TimeUnit.MILLISECONDS.sleep(APPEND_BACKOFF_MILLIS * attempt);
            }
        }
        options.store.acknowledge(key, source);
    }

    /** Carries a checked exception from a transition through the update function. */
    private static final class TransitionFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TransitionFailed(Exception cause) {
            super(cause.getMessage(), cause);
        }
    }

    @Override
    public String name() {
        return options.name;
    }

    @Override
    public String instanceId() {
        return options.instanceId;
    }

    @Override
    public String consumerName() {
        return consumerName;
    }

    @Override
    public long lag() {
        return consumers.stream().mapToLong(Consumer::lag).sum();
    }

    @Override
    public boolean isRunning() {
        return !closed.get() && !consumers.isEmpty() && consumers.stream().allMatch(Consumer::isRunning);
    }

    @Override
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    @Override
    public ProcessorStats stats() {
        return new ProcessorStats(handled.sum(), applied.sum(), alreadyApplied.sum(), emitted.sum(), emitFailures.sum(),
                otherShards.sum(), redelivered.sum());
    }

    private void startSweeper() {
        long period = Math.max(1, options.outboxGrace.toMillis());
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "streamable-state-outbox-" + consumerName);
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(() -> deliverPending(false), period, period, TimeUnit.MILLISECONDS);
    }

    private void closeAsync() {
        // a consumer's stopped() callback may run on that consumer's own thread: do not join it there
        Thread closer = new Thread(this::close, "streamable-state-close-" + consumerName);
        closer.setDaemon(true);
        closer.start();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        for (Consumer<?> consumer : consumers) {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing input consumer {} of state processor {} failed", consumer, consumerName, e);
            }
        }
        if (producer != null) {
            producer.close();
        }
    }

    @Override
    public String toString() {
        return "StateProcessor[" + consumerName + " -> " + (producer == null ? "no output" : producer.topic().name()) + "]";
    }
}
