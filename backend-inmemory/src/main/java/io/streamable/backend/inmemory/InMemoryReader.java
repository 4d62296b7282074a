package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/** Reads an in-memory topic from an offset; blocks on the topic's condition, woken by appends. */
final class InMemoryReader implements TopicReader {
    private final InMemoryTopic topic;
    private final InMemoryBackend connection;
    private final Optional<String> consumerName;
    private final Optional<Position> startPosition;
    private final AtomicBoolean wakeup = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private long nextOffset;

    InMemoryReader(InMemoryTopic topic, InMemoryBackend connection, Optional<String> consumerName, long nextOffset,
                   Optional<Position> startPosition) {
        this.topic = topic;
        this.connection = connection;
        this.consumerName = consumerName;
        this.nextOffset = nextOffset;
        this.startPosition = startPosition;
    }

    @Override
    public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return ReadBatch.empty();
        }
        List<StoredRecord> records = new ArrayList<>(Math.min(max, 1024));
        nextOffset = topic.read(nextOffset, max, maxWait.toNanos(), records, this);
        return new ReadBatch(records, nextOffset >= topic.size());
    }

    /** Consumes a pending wake-up; called under the topic's lock. */
    boolean takeWakeup() {
        return wakeup.getAndSet(false) || closed.get();
    }

    @Override
    public Optional<Position> startPosition() {
        return startPosition;
    }

    @Override
    public void commit(Position consumed) {
        if (closed.get()) {
            throw new IllegalStateException("This reader of topic \"" + topic.name() + "\" is closed");
        }
        consumerName.ifPresent(name -> topic.save(name, consumed));
    }

    @Override
    public void wakeup() {
        wakeup.set(true);
        topic.signalReaders();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            consumerName.ifPresent(topic::release);
            connection.closed(this);
            topic.signalReaders();
        }
    }
}
