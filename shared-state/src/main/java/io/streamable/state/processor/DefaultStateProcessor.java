package io.streamable.state.processor;

import io.streamable.Message;
import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.Source;
import io.streamable.state.UpdateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One processor instance: a named consumer per input whose handler runs an apply-once update and,
 * only when that update was applied, appends the step's output.
 */
final class DefaultStateProcessor<V, O> implements StateProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStateProcessor.class);
    private static final int APPEND_ATTEMPTS = 3;
    private static final long APPEND_BACKOFF_MILLIS = 100;

    private final StateProcessorBuilder<V, O> options;
    private final String consumerName;
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

    private DefaultStateProcessor(StateProcessorBuilder<V, O> options) {
        this.options = options;
        this.consumerName = options.consumerName();
        this.producer = options.output == null ? null : options.streamable.producer(options.output);
    }

    static <V, O> StateProcessor start(StateProcessorBuilder<V, O> options) {
        DefaultStateProcessor<V, O> processor = new DefaultStateProcessor<>(options);
        try {
            for (StateProcessorBuilder.Input<?, V, O> input : options.inputs) {
                processor.consumers.add(processor.startInput(input));
            }
        } catch (RuntimeException e) {
            processor.close();
            throw e;
        }
        CompletableFuture.allOf(processor.consumers.stream().map(Consumer::stopped).toArray(CompletableFuture[]::new))
                .whenComplete((done, failure) -> {
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
        AtomicReference<Step<V, O>> decided = new AtomicReference<>();
        UpdateResult<V> result;
        try {
            result = update(input, message, key, decided);
        } catch (TransitionFailed e) {
            throw (Exception) e.getCause();
        }
        handled.increment();
        if (!result.applied()) {
            alreadyApplied.increment();
            return;
        }
        applied.increment();
        options.afterStateUpdate.accept(message);
        List<OutgoingMessage<O>> outputs = decided.get().emit();
        if (!outputs.isEmpty()) {
            append(key, result.version(), Source.of(message), outputs);
        }
    }

    private <T> UpdateResult<V> update(StateProcessorBuilder.Input<T, V, O> input, Message<T> message, String key,
                                       AtomicReference<Step<V, O>> decided) {
        return options.store.compute(key, Optional.of(Source.of(message)), current -> {
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
            return step.state();
        });
    }

    private void append(String key, long version, Source source, List<OutgoingMessage<O>> outputs) throws Exception {
        List<OutgoingMessage<O>> stamped = new ArrayList<>(outputs.size());
        for (OutgoingMessage<O> output : outputs) {
            stamped.add(output.withHeader(KEY_HEADER, key).withHeader(VERSION_HEADER, Long.toString(version))
                    .withHeader(SOURCE_HEADER, source.toString()));
        }
        for (int attempt = 1; ; attempt++) {
            try {
                producer.appendAll(stamped).get();
                emitted.add(stamped.size());
                return;
            } catch (ExecutionException e) {
                boolean transient_ = e.getCause() instanceof BackendUnavailableException;
                if (!transient_ || attempt >= APPEND_ATTEMPTS) {
                    emitFailures.increment();
                    LOG.error("State processor {} applied {} to key \"{}\" (version {}) but could not append its {}"
                                    + " output message(s) to \"{}\"; they are lost, the state is correct", consumerName,
                            source, key, version, stamped.size(), producer.topic().name(), e.getCause());
                    throw new StreamableException("Output of " + source + " for key \"" + key + "\" not appended: "
                            + e.getCause(), e.getCause());
                }
                TimeUnit.MILLISECONDS.sleep(APPEND_BACKOFF_MILLIS * attempt);
            }
        }
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
                otherShards.sum());
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
