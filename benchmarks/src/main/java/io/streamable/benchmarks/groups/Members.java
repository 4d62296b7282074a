package io.streamable.benchmarks.groups;

import io.streamable.Message;
import io.streamable.Slots;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.StartFrom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The members of one consumer group in a group scenario: each a named consumer (the same name) on
 * its own {@link Streamable} connection, whose handler waits {@value #HANDLER_MILLIS} ms per
 * message as an I/O-bound handler would, at {@value #CONCURRENCY} handlers per member.
 */
final class Members implements AutoCloseable {
    /** How long the handler waits per message: the I/O it models. */
    static final int HANDLER_MILLIS = 2;
    /**
     * Handlers per member: fewer than the keys a member owns even when 4 members split the 64
     * keys (16 each), so every member's handlers stay busy and the member is the bottleneck.
     */
    static final int CONCURRENCY = 4;
    /** What a member handles at most, messages per second. */
    static final int MEMBER_RATE = CONCURRENCY * 1000 / HANDLER_MILLIS;

    /** What each delivery is told to. */
    interface Listener {
        /**
         * A member started handling a message.
         *
         * @param member the member's index, in start order
         * @param slot   the slot of the message's key
         * @param nanos  {@link System#nanoTime()} at the handler's start
         * @param payload the message's payload
         */
        void delivered(int member, int slot, long nanos, BenchPayload payload);
    }

    private final GroupBackend backend;
    private final Topic<BenchPayload> topic;
    private final String group;
    private final Listener listener;
    private final Map<String, Integer> slotOfKey = new HashMap<>();
    private final List<Streamable> connections = new ArrayList<>();
    private final List<Consumer<BenchPayload>> consumers = new ArrayList<>();

    Members(GroupBackend backend, Topic<BenchPayload> topic, String group, List<String> keys, Listener listener) {
        this.backend = backend;
        this.topic = topic;
        this.group = group;
        this.listener = listener;
        for (String key : keys) {
            slotOfKey.put(key, Slots.slotOf(key, backend.slotCount()));
        }
    }

    /** Starts one more member on a connection of its own; {@return its index} */
    int join() {
        int member = consumers.size();
        Streamable connection = Streamable.open(backend.url());
        connections.add(connection);
        consumers.add(connection.consumer(topic)
                .name(group)
                .startFrom(StartFrom.beginning())
                .concurrency(CONCURRENCY)
                .closeTimeout(Duration.ofSeconds(1))
                .handler(message -> handle(member, message))
                .start());
        return member;
    }

    private void handle(int member, Message<BenchPayload> message) {
        long now = System.nanoTime();
        Integer slot = slotOfKey.get(message.shardingKey());
        listener.delivered(member, slot == null ? Slots.slotOf(message.shardingKey(), backend.slotCount()) : slot, now,
                message.payload());
        // the handler's I/O: a timed wait, not a busy loop; parkNanos may return early, so wait out the rest
        long end = now + TimeUnit.MILLISECONDS.toNanos(HANDLER_MILLIS);
        for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return; // closing: the consumer interrupts handlers after its close timeout
            }
        }
    }

    /** {@return the slots member {@code member} owns now} */
    Set<Integer> slots(int member) {
        return consumers.get(member).assignment().map(GroupAssignment::slots).orElse(Set.of());
    }

    /** Whether every member owns its equal share and together they own every slot. */
    boolean balanced() {
        int share = backend.slotCount() / consumers.size();
        Set<Integer> all = new TreeSet<>();
        for (int member = 0; member < consumers.size(); member++) {
            Set<Integer> slots = slots(member);
            if (slots.size() != share) {
                return false;
            }
            all.addAll(slots);
        }
        return all.size() == backend.slotCount();
    }

    /** What each member owns, for the log. */
    String describe() {
        List<String> shares = new ArrayList<>();
        for (int member = 0; member < consumers.size(); member++) {
            shares.add("member " + member + ": " + slots(member));
        }
        return String.join("; ", shares);
    }

    /**
     * Waits until {@code condition} holds, checking every 5 ms (a benchmark's wait on state it
     * cannot be told about: the assignment changes inside the backend).
     */
    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Gave up after " + timeout.toSeconds() + " s waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (Consumer<BenchPayload> consumer : consumers) {
            try {
                consumer.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        for (Streamable connection : connections) {
            try {
                connection.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
