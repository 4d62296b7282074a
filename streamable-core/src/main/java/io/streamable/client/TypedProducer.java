package io.streamable.client;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.TopicStore;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.produce.ProducerInterceptor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Encodes payloads, stamped with their schema version, and appends them to the topic's store. */
final class TypedProducer<T> implements Producer<T> {
    private final Topic<T> topic;
    private final TopicStore store;
    private final PayloadEncoder<T> encoder;
    private final Consumer<AutoCloseable> onClose;
    private final List<ProducerInterceptor> interceptors;
    private final AtomicBoolean closed = new AtomicBoolean();

    TypedProducer(Topic<T> topic, TopicStore store, PayloadEncoder<T> encoder, List<ProducerInterceptor> interceptors,
                  Consumer<AutoCloseable> onClose) {
        this.topic = topic;
        this.interceptors = List.copyOf(interceptors);
        this.store = store;
        this.encoder = encoder;
        this.onClose = onClose;
    }

    @Override
    public Topic<T> topic() {
        return topic;
    }

    @Override
    public CompletableFuture<Position> append(OutgoingMessage<T> message) {
        Objects.requireNonNull(message, "append(null): pass an OutgoingMessage, e.g. OutgoingMessage.of(key, payload)");
        ensureOpen();
        if (!interceptors.isEmpty()) {
            return intercepted(0, List.of(message)).thenApply(positions -> positions.get(0));
        }
        return store.append(List.of(encode(message))).thenApply(positions -> positions.get(0));
    }

    @Override
    public CompletableFuture<List<Position>> appendAll(List<OutgoingMessage<T>> messages) {
        Objects.requireNonNull(messages, "messages");
        ensureOpen();
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        if (!interceptors.isEmpty()) {
            return intercepted(0, Collections.unmodifiableList(new ArrayList<>(messages)));
        }
        return appendEncoded(messages);
    }

    /** Runs the interceptors from {@code index} on, the last one appending to the store. */
    private CompletableFuture<List<Position>> intercepted(int index, List<OutgoingMessage<T>> messages) {
        if (index == interceptors.size()) {
            return appendEncoded(messages);
        }
        int size = messages.size();
        return interceptors.get(index).aroundAppend(topic, messages, changed -> {
            if (changed.size() != size) {
                throw new IllegalStateException("Interceptor " + interceptors.get(index) + " passed " + changed.size()
                        + " messages on where it received " + size + "; an interceptor may change messages, not drop or add them");
            }
            return intercepted(index + 1, changed);
        });
    }

    private CompletableFuture<List<Position>> appendEncoded(List<OutgoingMessage<T>> messages) {
        // encode everything before appending anything: a bad payload fails the whole batch
        List<AppendRecord> records = new ArrayList<>(messages.size());
        for (OutgoingMessage<T> message : messages) {
            records.add(encode(Objects.requireNonNull(message, "a message in the batch is null")));
        }
        return store.append(records);
    }

    private AppendRecord encode(OutgoingMessage<T> message) {
        return encoder.encode(message);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The producer for topic \"" + topic.name() + "\" is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            onClose.accept(this);
        }
    }

    @Override
    public String toString() {
        return "Producer[" + topic + "]";
    }
}
