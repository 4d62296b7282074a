package io.streamable.client;

import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.Backend;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A topic store for the engine's unit tests: records in memory, a single log or {@code n}
 * partitions (a key's partition is its hash), one live reader per name, and hooks a backend
 * cannot be made to do on demand: fence a reader, make a record malformed, watch commits.
 * Synchronised on itself; readers wait on it.
 */
final class FakeTopicStore implements TopicStore {
    private final String name;
    private final int partitions;
    private final List<StoredRecord> log = new ArrayList<>();
    private final long[] nextOffset;
    private final Map<String, Position> saved = new HashMap<>();
    private final Map<String, FakeReader> holders = new HashMap<>();
    /** Every commit any reader made, fenced ones excluded, in order. */
    final List<Position> commits = new CopyOnWriteArrayList<>();
    /** The longest wait each read of any reader was allowed, in order. */
    final List<Duration> readWaits = new CopyOnWriteArrayList<>();

    FakeTopicStore(String name) {
        this(name, 1);
    }

    FakeTopicStore(String name, int partitions) {
        this.name = name;
        this.partitions = partitions;
        this.nextOffset = new long[partitions];
    }

    /** Appends a text payload, JSON-encoded (what the default codec reads as a String), and returns its position. */
    Position append(String key, String text) {
        return append(List.of(new AppendRecord(key, Optional.empty(), Map.of(),
                ('"' + text + '"').getBytes(StandardCharsets.UTF_8)))).join().get(0);
    }

    /** Appends a record the "backend" could not read in its own shape. */
    synchronized Position appendMalformed(String key, String defect) {
        Position position = nextPosition(key);
        log.add(StoredRecord.malformed(position, Instant.now(), key, defect));
        notifyAll();
        return position;
    }

    private Position nextPosition(String key) {
        int partition = partitions == 1 ? 0 : Math.floorMod(key.hashCode(), partitions);
        long offset = nextOffset[partition]++;
        return partitions == 1 ? Position.of(offset) : Position.of(partition, offset);
    }

    /** The records stored so far, in append order. */
    synchronized List<StoredRecord> records() {
        return List.copyOf(log);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        List<Position> positions = new ArrayList<>();
        for (AppendRecord record : records) {
            Position position = nextPosition(record.shardingKey());
            log.add(new StoredRecord(position, Instant.now(), record.shardingKey(), record.logCompactId(),
                    record.headers(), record.payload()));
            positions.add(position);
        }
        notifyAll();
        return CompletableFuture.completedFuture(positions);
    }

    @Override
    public synchronized TopicReader openReader(ReaderSpec spec) {
        Optional<String> consumer = spec.consumerName();
        if (consumer.isPresent() && holders.containsKey(consumer.get())) {
            throw new ConsumerNameInUseException(name, consumer.get());
        }
        Optional<Position> start = consumer.map(saved::get);
        if (start.isEmpty() && spec.start() instanceof StartFrom.After after) {
            start = Optional.of(after.position());
        }
        FakeReader reader = new FakeReader(consumer, start);
        consumer.ifPresent(n -> holders.put(n, reader));
        return reader;
    }

    @Override
    public synchronized Optional<Position> head() {
        Map<Integer, Long> offsets = new HashMap<>();
        for (int partition = 0; partition < partitions; partition++) {
            if (nextOffset[partition] > 0) {
                offsets.put(partition, nextOffset[partition] - 1);
            }
        }
        return offsets.isEmpty() ? Optional.empty() : Optional.of(Position.of(offsets));
    }

    @Override
    public synchronized Optional<Position> savedPosition(String consumerName) {
        return Optional.ofNullable(saved.get(consumerName));
    }

    @Override
    public synchronized Set<String> consumerNames() {
        return new TreeSet<>(saved.keySet());
    }

    @Override
    public synchronized long lag(Optional<Position> position) {
        return log.stream().filter(record -> position.map(p -> !p.covers(record.position())).orElse(true)).count();
    }

    /** Whether a reader holds {@code consumerName}. */
    synchronized boolean isHeld(String consumerName) {
        return holders.containsKey(consumerName);
    }

    /** Lets another reader take the name over, as after an expired lease: the current holder is fenced. */
    synchronized void takeOver(String consumerName) {
        FakeReader holder = holders.remove(consumerName);
        if (holder != null) {
            holder.fenced.set(true);
        }
        notifyAll();
    }

    /** The reader currently holding {@code consumerName}. */
    synchronized FakeReader holder(String consumerName) {
        return holders.get(consumerName);
    }

    /** A reader over the whole log in append order. */
    final class FakeReader implements TopicReader {
        private final Optional<String> consumer;
        private final Optional<Position> start;
        private final AtomicBoolean fenced = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicBoolean wakeup = new AtomicBoolean();
        /** A failure the next commit throws, once. */
        final AtomicReference<RuntimeException> failNextCommit = new AtomicReference<>();
        /** A failure the next read throws, once. */
        final AtomicReference<RuntimeException> failNextRead = new AtomicReference<>();
        private int next;

        FakeReader(Optional<String> consumer, Optional<Position> start) {
            this.consumer = consumer;
            this.start = start;
        }

        @Override
        public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
            readWaits.add(maxWait);
            synchronized (FakeTopicStore.this) {
                checkFenced();
                RuntimeException failure = failNextRead.getAndSet(null);
                if (failure != null) {
                    throw failure;
                }
                long deadline = System.nanoTime() + maxWait.toNanos();
                while (next >= log.size() && !closed.get() && !wakeup.getAndSet(false)) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    FakeTopicStore.this.wait(Math.max(1, left / 1_000_000));
                    checkFenced();
                }
                List<StoredRecord> records = new ArrayList<>();
                while (next < log.size() && records.size() < max && !closed.get()) {
                    StoredRecord record = log.get(next++);
                    if (start.map(p -> !p.covers(record.position())).orElse(true)) {
                        records.add(record);
                    }
                }
                return new ReadBatch(records, next >= log.size());
            }
        }

        private void checkFenced() {
            if (fenced.get()) {
                throw new ConsumerFencedException(name, consumer.orElse("?"), "taken over in the test");
            }
        }

        @Override
        public Optional<Position> startPosition() {
            return start;
        }

        @Override
        public void commit(Position consumed) {
            synchronized (FakeTopicStore.this) {
                checkFenced();
                RuntimeException failure = failNextCommit.getAndSet(null);
                if (failure != null) {
                    throw failure;
                }
                consumer.ifPresent(n -> {
                    saved.merge(n, consumed, Position::merge);
                    commits.add(consumed);
                });
            }
        }

        @Override
        public void wakeup() {
            synchronized (FakeTopicStore.this) {
                wakeup.set(true);
                FakeTopicStore.this.notifyAll();
            }
        }

        @Override
        public void close() {
            synchronized (FakeTopicStore.this) {
                if (closed.compareAndSet(false, true)) {
                    consumer.ifPresent(n -> holders.remove(n, this));
                    FakeTopicStore.this.notifyAll();
                }
            }
        }

        boolean isClosed() {
            return closed.get();
        }
    }

    /** A backend whose topics are fake stores, for tests that go through the builder. */
    static final class FakeBackend implements Backend {
        private final Map<String, FakeTopicStore> topics = new ConcurrentHashMap<>();
        private final int partitions;

        FakeBackend() {
            this(1);
        }

        FakeBackend(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public FakeTopicStore topic(String topicName) {
            return topics.computeIfAbsent(topicName, n -> new FakeTopicStore(n, partitions));
        }

        @Override
        public Set<String> listTopics() {
            return new TreeSet<>(topics.keySet());
        }

        @Override
        public String describe() {
            return "fake:";
        }

        @Override
        public void close() {
        }
    }
}
