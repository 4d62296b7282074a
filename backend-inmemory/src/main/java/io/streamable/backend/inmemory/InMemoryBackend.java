package io.streamable.backend.inmemory;

import io.streamable.backend.Backend;
import io.streamable.backend.TopicStore;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection to an in-memory store. Closing it closes the readers it opened, releasing their
 * consumer names, the way a dropped connection releases them on a server backend.
 */
final class InMemoryBackend implements Backend {
    private final InMemoryStorage storage;
    private final String description;
    private final Set<InMemoryReader> readers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    InMemoryBackend(InMemoryStorage storage, String description) {
        this.storage = storage;
        this.description = description;
    }

    @Override
    public TopicStore topic(String name) {
        ensureOpen();
        return new InMemoryTopicStore(storage.topic(name), this);
    }

    @Override
    public Set<String> listTopics() {
        ensureOpen();
        return storage.topicNames();
    }

    @Override
    public String describe() {
        return description;
    }

    void opened(InMemoryReader reader) {
        readers.add(reader);
    }

    void closed(InMemoryReader reader) {
        readers.remove(reader);
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The in-memory backend connection " + description + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (InMemoryReader reader : readers) {
                reader.close();
            }
        }
    }

    @Override
    public String toString() {
        return "InMemoryBackend[" + description + "]";
    }
}
