package io.streamable.benchmarks.harness;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Peak heap used during a measured section: the heap in use just before each collection (where the
 * peak really is, and what sampling alone misses) and a 10 ms sample in between.
 */
final class HeapMeter implements AutoCloseable {
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong gcMillis = new AtomicLong();
    private final List<Runnable> unsubscribe = new ArrayList<>();
    private final Set<String> heapPools = new HashSet<>();
    private final Thread sampler;
    private volatile boolean running = true;

    HeapMeter() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        NotificationListener listener = this::onGc;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (collector instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(listener, null, null);
                unsubscribe.add(() -> {
                    try {
                        emitter.removeNotificationListener(listener);
                    } catch (javax.management.ListenerNotFoundException ignored) {
                        // already gone
                    }
                });
            }
        }
        sampler = new Thread(() -> {
            while (running) {
                observe(memory.getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void onGc(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                (CompositeData) notification.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageBeforeGc().entrySet()) {
            if (heapPools.contains(pool.getKey())) { // the map also holds metaspace and code cache
                used += pool.getValue().getUsed();
            }
        }
        observe(used);
        gcMillis.addAndGet(info.getGcInfo().getDuration());
    }

    private void observe(long used) {
        peak.accumulateAndGet(used, Math::max);
    }

    /** Starts a new measured section, after a collection so earlier garbage does not count. */
    void reset() {
        System.gc();
        peak.set(memory.getHeapMemoryUsage().getUsed());
        gcMillis.set(0);
    }

    /**
     * Milliseconds spent in collections since {@link #reset()} (the collectors' own durations,
     * concurrent phases included), to tell how much of a round was garbage collection.
     */
    long gcMillis() {
        return gcMillis.get();
    }

    /** The peak heap used since {@link #reset()}, in bytes. */
    long peak() {
        observe(memory.getHeapMemoryUsage().getUsed());
        return peak.get();
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        unsubscribe.forEach(Runnable::run);
    }
}
