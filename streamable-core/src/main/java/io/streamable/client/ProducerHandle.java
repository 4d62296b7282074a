package io.streamable.client;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What {@link Streamable#producer} returns: a caller's own view of the topic's one shared
 * producer. Closing it ends this caller's use only, so a try-with-resources in one component can
 * never close the producer another component holds; the shared producer closes with the
 * {@link Streamable}. A handle costs one small object: the schema check and the bookkeeping
 * happen once per topic.
 */
final class ProducerHandle<T> implements Producer<T> {
    private final TypedProducer<T> shared;
    private final AtomicBoolean closed = new AtomicBoolean();

    ProducerHandle(TypedProducer<T> shared) {
        this.shared = shared;
    }

    @Override
    public Topic<T> topic() {
        return shared.topic();
    }

    @Override
    public CompletableFuture<Position> append(OutgoingMessage<T> message) {
        ensureOpen();
        return shared.append(message);
    }

    @Override
    public CompletableFuture<List<Position>> appendAll(List<OutgoingMessage<T>> messages) {
        ensureOpen();
        return shared.appendAll(messages);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("This producer for topic \"" + shared.topic().name() + "\" was closed;"
                    + " call streamable.producer(topic) again for a new one");
        }
    }

    /** Ends this handle's use; appends already made complete as usual. Idempotent. */
    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return shared.toString();
    }
}
