package io.streamable.client;

import io.streamable.Position;
import io.streamable.backend.StoredRecord;
import io.streamable.client.FailureHandler.Result;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@DisplayName("Dispatcher: a queue per sharding key, a bounded number in flight, close without holes")
class DispatcherTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final List<Dispatcher> started = new ArrayList<>();
    private final List<CountDownLatch> gates = new ArrayList<>();
    private final AtomicInteger wakeups = new AtomicInteger();

    @AfterEach
    void stop() {
        gates.forEach(gate -> {
            while (gate.getCount() > 0) {
                gate.countDown();
            }
        });
        started.forEach(Dispatcher::shutdown);
    }

    private CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    private Dispatcher dispatcher(int workers, int maxInFlight, CommitTracker tracker,
                                  Function<StoredRecord, Result> handler) {
        Dispatcher dispatcher = new Dispatcher(workers, maxInFlight, tracker, handler, wakeups::incrementAndGet,
                runnable -> {
                    Thread thread = new Thread(runnable, "dispatcher-test");
                    thread.setDaemon(true);
                    return thread;
                });
        started.add(dispatcher);
        return dispatcher;
    }

    private static StoredRecord record(long offset, String key) {
        return new StoredRecord(Position.of(offset), Instant.EPOCH, key, Optional.empty(), Map.of(), new byte[0]);
    }

    /** Records 0..n-1 over {@code keys} keys, round robin. */
    private static List<StoredRecord> records(int n, int keys) {
        List<StoredRecord> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            records.add(record(i, "key-" + (i % keys)));
        }
        return records;
    }

    @Test
    @DisplayName("with 4 workers, each key's records run in order and never two at once, and all complete")
    void orderPerKey() {
        Map<String, List<Long>> seen = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        AtomicBoolean overlapped = new AtomicBoolean();
        CommitTracker tracker = new CommitTracker(Optional.empty());
        Dispatcher dispatcher = dispatcher(4, 10_000, tracker, record -> {
            AtomicInteger now = running.computeIfAbsent(record.shardingKey(), k -> new AtomicInteger());
            if (now.incrementAndGet() > 1) {
                overlapped.set(true);
            }
            seen.computeIfAbsent(record.shardingKey(), k -> new CopyOnWriteArrayList<>()).add(record.position().offset());
            Thread.yield();
            now.decrementAndGet();
            return Result.DONE;
        });

        dispatcher.submit(records(2_000, 10));

        await().atMost(TIMEOUT).until(dispatcher::isIdle);
        assertThat(overlapped).isFalse();
        assertThat(seen).hasSize(10);
        seen.values().forEach(offsets -> assertThat(offsets).hasSize(200).isSorted());
        assertThat(dispatcher.handled()).contains(Position.of(1_999));
    }

    @Test
    @DisplayName("one blocked key does not hold back the others, and the position stops before the blocked record")
    void slowKeyDoesNotBlockOthers() {
        CountDownLatch release = gate();
        CountDownLatch others = new CountDownLatch(99);
        Dispatcher dispatcher = dispatcher(2, 1_000, new CommitTracker(Optional.empty()), record -> {
            if (record.shardingKey().equals("slow")) {
                awaitLatch(release);
            } else {
                others.countDown();
            }
            return Result.DONE;
        });
        List<StoredRecord> records = new ArrayList<>();
        records.add(record(0, "slow"));
        records.add(record(1, "slow"));
        for (int i = 2; i < 101; i++) {
            records.add(record(i, "fast-" + i));
        }

        dispatcher.submit(records);

        awaitLatch(others);
        assertThat(dispatcher.handled()).as("nothing before the blocked record 0").isEmpty();
        assertThat(dispatcher.isIdle()).isFalse();
        release.countDown();
        await().atMost(TIMEOUT).until(dispatcher::isIdle);
        assertThat(dispatcher.handled()).contains(Position.of(100));
    }

    @Test
    @DisplayName("with one worker, records run in read order across keys")
    void oneWorkerKeepsReadOrder() {
        List<Long> order = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = dispatcher(1, 10_000, new CommitTracker(Optional.empty()), record -> {
            order.add(record.position().offset());
            return Result.DONE;
        });

        dispatcher.submit(records(500, 7));

        await().atMost(TIMEOUT).until(dispatcher::isIdle);
        assertThat(order).hasSize(500).isSorted();
    }

    @Test
    @DisplayName("room shrinks with the records in flight and comes back as they complete; awaitRoom returns then")
    void boundedInFlight() throws Exception {
        CountDownLatch release = gate();
        Dispatcher dispatcher = dispatcher(2, 10, new CommitTracker(Optional.empty()), record -> {
            awaitLatch(release);
            return Result.DONE;
        });
        assertThat(dispatcher.room()).isEqualTo(10);

        dispatcher.submit(records(10, 3));

        assertThat(dispatcher.room()).isZero();
        CountDownLatch roomAgain = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                dispatcher.awaitRoom(TIMEOUT.multipliedBy(3));
                roomAgain.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        release.countDown();
        assertThat(roomAgain.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        await().atMost(TIMEOUT).until(dispatcher::isIdle);
        assertThat(dispatcher.room()).isEqualTo(10);
    }

    @Test
    @DisplayName("the read loop is offered room a batch at a time while the workers have queued work, not per completed record")
    void roomComesInBatches() throws Exception {
        java.util.concurrent.Semaphore permits = new java.util.concurrent.Semaphore(0);
        Dispatcher dispatcher = dispatcher(1, 10, new CommitTracker(Optional.empty()), record -> {
            try {
                permits.acquire();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Result.ABANDONED;
            }
            return Result.DONE;
        });
        dispatcher.submit(records(10, 1));
        CountDownLatch roomAgain = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                dispatcher.awaitRoom(5, TIMEOUT.multipliedBy(3));
                roomAgain.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();

        permits.release(4);
        await().atMost(TIMEOUT).until(() -> dispatcher.completedCount() == 4);
        assertThat(dispatcher.room()).isEqualTo(4);
        assertThat(dispatcher.roomFor(5)).as("4 free, 6 still queued: not yet").isZero();
        assertThat(roomAgain.getCount()).isEqualTo(1);

        permits.release(1);
        assertThat(roomAgain.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(dispatcher.roomFor(5)).isEqualTo(5);
        permits.release(5);
        await().atMost(TIMEOUT).until(dispatcher::isIdle);
    }

    @Test
    @DisplayName("when the workers run out of queued work (a slow key holds the rest), whatever room there is is offered")
    void smallRoomWhenWorkersIdle() throws Exception {
        CountDownLatch release = gate();
        Dispatcher dispatcher = dispatcher(2, 10, new CommitTracker(Optional.empty()), record -> {
            if (record.shardingKey().equals("slow")) {
                awaitLatch(release);
            }
            return Result.DONE;
        });
        List<StoredRecord> records = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            records.add(record(i, "slow"));
        }
        records.add(record(8, "fast"));
        records.add(record(9, "fast"));
        CountDownLatch roomAgain = new CountDownLatch(1);

        dispatcher.submit(records);
        Thread waiter = new Thread(() -> {
            try {
                dispatcher.awaitRoom(5, TIMEOUT.multipliedBy(3));
                roomAgain.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();

        assertThat(roomAgain.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("the two fast records completed, the slow key's backlog only waits behind its head").isTrue();
        assertThat(dispatcher.roomFor(5)).isEqualTo(2);
        release.countDown();
        await().atMost(TIMEOUT).until(dispatcher::isIdle);
    }

    @Test
    @DisplayName("decodeAhead decodes the records no worker took yet, newest first; the worker gets them, and decodes the rest itself")
    void decodeAheadSharesTheDecoding() throws Exception {
        CountDownLatch release = gate();
        Map<Long, Object> seen = new ConcurrentHashMap<>();
        List<Long> order = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = new Dispatcher(1, 100, new CommitTracker(Optional.empty()), (record, decoded) -> {
            long offset = record.position().offset();
            if (offset == 0) {
                awaitLatch(release);
            }
            order.add(offset);
            seen.put(offset, decoded == null ? "by the worker" : decoded);
            return Result.DONE;
        }, record -> "ahead-" + record.position().offset(), wakeups::incrementAndGet, runnable -> {
            Thread thread = new Thread(runnable, "dispatcher-test");
            thread.setDaemon(true);
            return thread;
        });
        started.add(dispatcher);

        dispatcher.submit(records(10, 3));
        await().atMost(TIMEOUT).until(() -> dispatcher.roomFor(1) == 90 && dispatcher.inFlight() == 10
                && !order.contains(0L) && dispatcher.stillRunning().size() == 1);
        assertThat(dispatcher.decodeAhead(4)).isEqualTo(4);
        assertThat(dispatcher.decodeAhead(100)).as("5 more; record 0 is the worker's").isEqualTo(5);
        assertThat(dispatcher.decodeAhead(100)).isZero();
        release.countDown();

        await().atMost(TIMEOUT).until(dispatcher::isIdle);
        assertThat(order).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(seen.get(0L)).isEqualTo("by the worker");
        for (long offset = 1; offset < 10; offset++) {
            assertThat(seen.get(offset)).isEqualTo("ahead-" + offset);
        }
        assertThat(dispatcher.handled()).contains(Position.of(9));
    }

    @Test
    @DisplayName("a STOP result halts: nothing starts after it, and the position stays before the stopped record")
    void stopHalts() throws Exception {
        List<Long> ran = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = dispatcher(1, 100, new CommitTracker(Optional.empty()), record -> {
            ran.add(record.position().offset());
            return record.position().offset() == 3 ? Result.STOP : Result.DONE;
        });

        dispatcher.submit(records(10, 2));

        await().atMost(TIMEOUT).until(dispatcher::isHalted);
        assertThat(dispatcher.awaitQuiescent(TIMEOUT)).isTrue();
        assertThat(ran).containsExactly(0L, 1L, 2L, 3L);
        assertThat(dispatcher.handled()).contains(Position.of(2));
        assertThat(wakeups).as("a halt wakes the read loop").hasPositiveValue();
    }

    @Test
    @DisplayName("beginClose runs the records queued below one already started (no hole) and nothing beyond")
    void closeFillsHoles() throws Exception {
        CountDownLatch firstOfB = new CountDownLatch(1);
        CountDownLatch releaseA = gate();
        CountDownLatch releaseB = gate();
        List<Long> ran = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = dispatcher(2, 100, new CommitTracker(Optional.empty()), record -> {
            ran.add(record.position().offset());
            if (record.position().offset() == 0) {
                awaitLatch(releaseA); // key a blocks at 0: 2 (key a) waits behind it
            }
            if (record.position().offset() == 3) {
                firstOfB.countDown();
                awaitLatch(releaseB); // key b has started 3, so 2 lies below a started record
            }
            return Result.DONE;
        });
        // 0 a, 1 b, 2 a, 3 b, 4 a, 5 b
        List<StoredRecord> records = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            records.add(record(i, i % 2 == 0 ? "a" : "b"));
        }
        dispatcher.submit(records);
        awaitLatch(firstOfB);

        dispatcher.beginClose();
        releaseB.countDown();
        releaseA.countDown();

        assertThat(dispatcher.awaitQuiescent(TIMEOUT)).isTrue();
        assertThat(ran).as("2 fills the hole below the started 3; 4 and 5 never start").containsExactlyInAnyOrder(0L, 1L, 2L, 3L);
        assertThat(dispatcher.handled()).contains(Position.of(3));
    }

    @Test
    @DisplayName("an abandoned record blocks its key: the key's later records never run, other keys go on")
    void abandonedBlocksItsKey() {
        List<Long> ran = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = dispatcher(2, 100, new CommitTracker(Optional.empty()), record -> {
            ran.add(record.position().offset());
            return record.position().offset() == 0 ? Result.ABANDONED : Result.DONE;
        });
        // 0 a, 1 b, 2 a, 3 b
        dispatcher.submit(List.of(record(0, "a"), record(1, "b"), record(2, "a"), record(3, "b")));

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(ran).contains(3L));
        assertThat(ran).doesNotContain(2L);
        assertThat(dispatcher.handled()).isEmpty();
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("latch not released within " + TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
