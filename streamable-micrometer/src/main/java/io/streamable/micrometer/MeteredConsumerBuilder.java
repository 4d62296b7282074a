package io.streamable.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.streamable.consume.AssignmentListener;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.ConsumerFailure;
import io.streamable.consume.FailureListener;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.MessageHandler;
import io.streamable.consume.RetentionGapListener;
import io.streamable.consume.StartFrom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;

/** Passes every option through; wraps the handler, the failure listener and the assignment listener to record metrics. */
final class MeteredConsumerBuilder<T> implements ConsumerBuilder<T> {
    private static final Logger LOG = LoggerFactory.getLogger(MeteredConsumerBuilder.class);

    private final ConsumerBuilder<T> delegate;
    private final StreamableMetrics metrics;
    private final String topic;
    private String name = "anonymous";
    private MessageHandler<T> handler;
    private FailureListener listener;
    private AssignmentListener assignmentListener;

    MeteredConsumerBuilder(ConsumerBuilder<T> delegate, String topic, StreamableMetrics metrics) {
        this.delegate = delegate;
        this.topic = topic;
        this.metrics = metrics;
    }

    @Override
    public ConsumerBuilder<T> name(String consumerName) {
        delegate.name(consumerName);
        this.name = consumerName;
        return this;
    }

    @Override
    public ConsumerBuilder<T> startFrom(StartFrom startFrom) {
        delegate.startFrom(startFrom);
        return this;
    }

    @Override
    public ConsumerBuilder<T> handler(MessageHandler<T> handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onCaughtUp(Runnable callback) {
        delegate.onCaughtUp(callback);
        return this;
    }

    // the interface's default refuses; a metered builder must offer every option the one it wraps offers
    @Override
    public ConsumerBuilder<T> onRetentionGap(RetentionGapListener listener) {
        delegate.onRetentionGap(listener);
        return this;
    }

    // wrapped in start(): the rebalance counter needs it too
    @Override
    public ConsumerBuilder<T> onAssignmentChange(AssignmentListener listener) {
        this.assignmentListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onFailure(FailureListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> failurePolicy(FailurePolicy policy) {
        delegate.failurePolicy(policy);
        return this;
    }

    @Override
    public ConsumerBuilder<T> concurrency(int threads) {
        delegate.concurrency(threads);
        return this;
    }

    @Override
    public ConsumerBuilder<T> commitEvery(int messages, Duration interval) {
        delegate.commitEvery(messages, interval);
        return this;
    }

    @Override
    public ConsumerBuilder<T> batchSize(int messages) {
        delegate.batchSize(messages);
        return this;
    }

    @Override
    public ConsumerBuilder<T> closeTimeout(Duration timeout) {
        delegate.closeTimeout(timeout);
        return this;
    }

    @Override
    public Consumer<T> start() {
        if (handler == null) {
            throw new IllegalStateException("A consumer needs a handler: call handler(message -> ...) before start()");
        }
        Counter consumed = metrics.consumed(topic, name);
        Timer succeeded = metrics.handler(topic, name, "success");
        Timer failed = metrics.handler(topic, name, "failure");
        MessageHandler<T> user = handler;
        delegate.handler(message -> {
            long start = System.nanoTime();
            try {
                user.handle(message);
            } catch (Exception | Error e) {
                failed.record(Duration.ofNanos(System.nanoTime() - start));
                throw e;
            }
            succeeded.record(Duration.ofNanos(System.nanoTime() - start));
            consumed.increment();
        });
        FailureListener userListener = listener;
        String consumerName = name;
        delegate.onFailure(failure -> {
            metrics.failures(topic, consumerName, failure.outcome().name()).increment();
            if (userListener != null) {
                userListener.onFailure(failure);
            } else {
                logLikeTheDefault(failure);
            }
        });
        // only a consumer group member is ever told; the counter is registered when it is first told,
        // so a consumer that is none gets no counter
        AssignmentListener userAssignments = assignmentListener;
        delegate.onAssignmentChange(change -> {
            metrics.rebalances(topic, consumerName).increment();
            if (userAssignments != null) {
                userAssignments.assignmentChanged(change);
            }
        });
        Consumer<T> consumer = delegate.start();
        if (consumer.name().isPresent()) {
            Gauge lag = metrics.lag(consumer);
            java.util.Optional<Gauge> slots = metrics.slots(consumer);
            consumer.stopped().whenComplete((ignored, failure) -> {
                metrics.remove(lag);
                slots.ifPresent(metrics::remove);
            });
        }
        return consumer;
    }

    /** Installing a listener replaces the consumer's own logging, so log as it would. */
    private static void logLikeTheDefault(ConsumerFailure failure) {
        if (failure.outcome() == ConsumerFailure.Outcome.STOPPED) {
            LOG.error("{}", failure, failure.cause());
        } else {
            LOG.warn("{}", failure);
        }
    }

}
