package io.streamable.backend.inmemory;

import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.backend.TopicStore;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection to an in-memory store. Closing it closes the readers it opened, releasing their
 * consumer names, the way a dropped connection releases them on a server backend. While open it
 * renews the leases of its named readers every third of the lease time to live, the way a server
 * backend's heartbeat does, so a lease only expires for a reader whose renewal was suspended.
 */
final class InMemoryBackend implements Backend {
    /** One daemon thread renews the leases of every in-memory connection of the JVM: the work is tiny. */
    private static final ScheduledExecutorService HEARTBEATS = heartbeats();
    /** How often an open connection removes messages past their topic's age limit. */
    static final long RETENTION_SWEEP_MILLIS = 500;

    private final InMemoryStorage storage;
    private final String description;
    private final Duration leaseTtl;
    private final InMemoryTopic.GroupOptions groupOptions;
    /** Set by the test hook {@link #suspendOwnership()}: no reader of this connection renews its lease. */
    private volatile boolean suspended;
    private final Set<InMemoryReader> readers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledFuture<?> heartbeat;
    private final ScheduledFuture<?> retentionSweep;

    InMemoryBackend(InMemoryStorage storage, String description, Duration leaseTtl) {
        this(storage, description, leaseTtl, new InMemoryTopic.GroupOptions(Optional.empty(),
                InMemoryBackendProvider.DEFAULT_REBALANCE_DELAY));
    }

    InMemoryBackend(InMemoryStorage storage, String description, Duration leaseTtl, InMemoryTopic.GroupOptions groupOptions) {
        this.storage = storage;
        this.description = description;
        this.leaseTtl = leaseTtl;
        this.groupOptions = groupOptions;
        long every = Math.max(1, leaseTtl.toMillis() / 3);
        this.heartbeat = HEARTBEATS.scheduleWithFixedDelay(this::renewLeases, every, every, TimeUnit.MILLISECONDS);
        // appends enforce retention as they go; this covers age limits on a topic nobody writes to
        this.retentionSweep = HEARTBEATS.scheduleWithFixedDelay(storage::enforceRetention, RETENTION_SWEEP_MILLIS,
                RETENTION_SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static ScheduledExecutorService heartbeats() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "streamable-memory-leases");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    private void renewLeases() {
        long ttl = leaseTtl.toNanos();
        for (InMemoryReader reader : readers) {
            reader.renewLease(ttl);
        }
    }

    /** How long a named reader's lease outlives its last renewal. */
    Duration leaseTtl() {
        return leaseTtl;
    }

    /** The slot count and debounce this connection asks of the consumer groups it joins. */
    InMemoryTopic.GroupOptions groupOptions() {
        return groupOptions;
    }

    /**
     * Test hook: acts as if this connection's process were paused, so none of its readers renews
     * its lease any more (those opened later neither).
     */
    void suspendOwnership() {
        suspended = true;
    }

    boolean isSuspended() {
        return suspended;
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
    public void deleteTopic(String name) {
        ensureOpen();
        TopicName.requireValid(name);
        storage.delete(name);
        storage.delete(TopicName.schemaTopicOf(name));
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
            heartbeat.cancel(false);
            retentionSweep.cancel(false);
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
