package io.streamable.client;

import io.streamable.Topic;
import io.streamable.TopicName;
import io.streamable.consume.AssignmentListener;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.ConsumerInterceptor;
import io.streamable.consume.FailureListener;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.MessageHandler;
import io.streamable.consume.RetentionGapListener;
import io.streamable.consume.StartFrom;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Collects consumer options; {@link #start()} copies them into {@link ConsumerSettings} and starts
 * a {@link RunningConsumer} with them, so the builder may be changed or reused afterwards.
 */
final class DefaultConsumerBuilder<T> implements ConsumerBuilder<T> {
    final Topic<T> topic;
    final DefaultStreamable owner;
    Optional<String> name = Optional.empty();
    StartFrom startFrom = StartFrom.beginning();
    MessageHandler<T> handler;
    Runnable onCaughtUp = () -> { };
    FailureListener failureListener;
    FailurePolicy failurePolicy = FailurePolicy.defaults();
    int concurrency = 1;
    int commitEveryMessages = 500;
    Duration commitInterval = Duration.ofSeconds(1);
    int batchSize = 500;
    Duration closeTimeout = Duration.ofSeconds(5);
    RetentionGapListener retentionGapListener = gap -> { };
    AssignmentListener assignmentListener = change -> { };

    DefaultConsumerBuilder(Topic<T> topic, DefaultStreamable owner) {
        this.topic = topic;
        this.owner = owner;
    }

    @Override
    public ConsumerBuilder<T> name(String consumerName) {
        if (!TopicName.isValid(consumerName)) {
            throw new IllegalArgumentException("Invalid consumer name " + (consumerName == null ? "null" : '"' + consumerName + '"')
                    + ": consumer names follow the topic name rules (1-" + TopicName.MAX_LENGTH
                    + " characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)");
        }
        this.name = Optional.of(consumerName);
        return this;
    }

    @Override
    public ConsumerBuilder<T> startFrom(StartFrom startFrom) {
        this.startFrom = Objects.requireNonNull(startFrom, "startFrom is null: pass StartFrom.beginning(),"
                + " StartFrom.latest() or StartFrom.after(position), or leave startFrom(...) out to start from the beginning");
        return this;
    }

    @Override
    public ConsumerBuilder<T> handler(MessageHandler<T> handler) {
        this.handler = Objects.requireNonNull(handler, "handler");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onCaughtUp(Runnable callback) {
        this.onCaughtUp = Objects.requireNonNull(callback, "callback");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onRetentionGap(RetentionGapListener listener) {
        this.retentionGapListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onAssignmentChange(AssignmentListener listener) {
        this.assignmentListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> onFailure(FailureListener listener) {
        this.failureListener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    @Override
    public ConsumerBuilder<T> failurePolicy(FailurePolicy policy) {
        this.failurePolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    @Override
    public ConsumerBuilder<T> concurrency(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + threads);
        }
        this.concurrency = threads;
        return this;
    }

    @Override
    public ConsumerBuilder<T> commitEvery(int messages, Duration interval) {
        if (messages < 1) {
            throw new IllegalArgumentException("commitEvery needs at least 1 message, got " + messages);
        }
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("commit interval must not be negative, got " + interval);
        }
        this.commitEveryMessages = messages;
        this.commitInterval = interval;
        return this;
    }

    @Override
    public ConsumerBuilder<T> batchSize(int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + messages);
        }
        this.batchSize = messages;
        return this;
    }

    @Override
    public ConsumerBuilder<T> closeTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must not be negative, got " + timeout);
        }
        this.closeTimeout = timeout;
        return this;
    }

    @Override
    public Consumer<T> start() {
        if (handler == null) {
            throw new IllegalStateException("A consumer needs a handler: call handler(message -> ...) before start()");
        }
        owner.ensureOpen();
        // the user's handler inside the Streamable's consumer interceptors: every attempt passes through them
        MessageHandler<T> intercepted = ConsumerInterceptor.chain(owner.interceptors().consumer(), name, handler);
        ConsumerSettings<T> settings = new ConsumerSettings<>(topic, name, startFrom, intercepted, onCaughtUp,
                Optional.ofNullable(failureListener), failurePolicy, concurrency, commitEveryMessages, commitInterval,
                batchSize, closeTimeout, Math.max(batchSize * ConsumerSettings.IN_FLIGHT_BATCHES, concurrency * 2));
        RunningConsumer<T> consumer = new RunningConsumer<>(settings, owner.backend().topic(topic.name()),
                owner.decoder(topic), owner.backend()::topic, owner::untrack);
        consumer.onRetentionGap(retentionGapListener);
        consumer.onAssignmentChange(assignmentListener);
        owner.track(consumer);
        try {
            consumer.start();
        } catch (RuntimeException e) {
            owner.untrack(consumer);
            throw e;
        }
        return consumer;
    }
}
