package io.streamable.micrometer;

import io.micrometer.core.instrument.Counter;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Counts appends as the backend answers them. */
final class MeteredProducer<T> implements Producer<T> {
    private final Producer<T> delegate;
    private final Counter succeeded;
    private final Counter failed;

    MeteredProducer(Producer<T> delegate, Counter succeeded, Counter failed) {
        this.delegate = delegate;
        this.succeeded = succeeded;
        this.failed = failed;
    }

    @Override
    public Topic<T> topic() {
        return delegate.topic();
    }

    @Override
    public CompletableFuture<Position> append(OutgoingMessage<T> message) {
        CompletableFuture<Position> future;
        try {
            future = delegate.append(message);
        } catch (RuntimeException refused) {
            failed.increment();
            throw refused;
        }
        return count(future, 1);
    }

    @Override
    public CompletableFuture<List<Position>> appendAll(List<OutgoingMessage<T>> messages) {
        CompletableFuture<List<Position>> future;
        try {
            future = delegate.appendAll(messages);
        } catch (RuntimeException refused) {
            failed.increment(messages.size());
            throw refused;
        }
        return count(future, messages.size());
    }

    private <R> CompletableFuture<R> count(CompletableFuture<R> future, int messages) {
        return future.whenComplete((result, failure) -> (failure == null ? succeeded : failed).increment(messages));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "Metered" + delegate;
    }
}
