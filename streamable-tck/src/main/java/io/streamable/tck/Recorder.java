package io.streamable.tck;

import io.streamable.Message;
import io.streamable.consume.MessageHandler;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A handler that records what a consumer delivers, for the contract tests to wait on and inspect.
 * It can run a behaviour first (fail, block on a latch); a message counts as handled only when
 * that behaviour returned. It also notices two handlers of one sharding key running at once.
 */
final class Recorder<T> implements MessageHandler<T> {
    private final MessageHandler<T> behaviour;
    private final List<Message<T>> attempts = new ArrayList<>();
    private final List<Message<T>> handled = new ArrayList<>();
    private final List<Integer> caughtUpCounts = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicBoolean overlapped = new AtomicBoolean();

    Recorder() {
        this(message -> { });
    }

    Recorder(MessageHandler<T> behaviour) {
        this.behaviour = behaviour;
    }

    @Override
    public void handle(Message<T> message) throws Exception {
        AtomicInteger running = inFlight.computeIfAbsent(message.shardingKey(), key -> new AtomicInteger());
        if (running.incrementAndGet() > 1) {
            overlapped.set(true);
        }
        try {
            synchronized (this) {
                attempts.add(message);
            }
            behaviour.handle(message);
            synchronized (this) {
                handled.add(message);
            }
        } finally {
            running.decrementAndGet();
        }
    }

    /** The consumer's caught-up callback: remembers how many messages were handled at that moment. */
    void caughtUp() {
        caughtUpCounts.add(count());
    }

    synchronized int count() {
        return handled.size();
    }

    /** Every message whose handler returned, in the order the handlers returned. */
    synchronized List<Message<T>> handled() {
        return List.copyOf(handled);
    }

    /** Every message the handler was called with, failed attempts included. */
    synchronized List<Message<T>> attempts() {
        return List.copyOf(attempts);
    }

    List<T> payloads() {
        return handled().stream().map(Message::payload).toList();
    }

    /** The handled count at each caught-up callback, in order. */
    List<Integer> caughtUpCounts() {
        return List.copyOf(caughtUpCounts);
    }

    /** Whether two handlers of one sharding key ever ran at the same time. */
    boolean overlappedWithinKey() {
        return overlapped.get();
    }

    /** Waits until at least {@code count} messages are handled. */
    void awaitCount(int count, Duration timeout) {
        Awaitility.await("at least " + count + " messages handled").atMost(timeout).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(count()).as("messages handled").isGreaterThanOrEqualTo(count));
    }

    /**
     * Waits until the consumer reports it has caught up after handling at least {@code count}
     * messages: by then it has delivered everything the backend held, duplicates included.
     */
    void awaitDrained(int count, Duration timeout) {
        Awaitility.await("caught up after " + count + " messages").atMost(timeout).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(caughtUpCounts()).as("handled count at each caught-up callback"
                        + " (handled so far: %d)", count()).anyMatch(handledThen -> handledThen >= count));
    }
}
