package io.streamable.benchmarks.groups;

import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code group-scaling-<backend>-<n>} (issue 13): a consumer group of N members (the same name,
 * each on its own connection in this JVM) whose handler waits 2 ms per message, at concurrency 4
 * per member, splitting 64 sharding keys. The members start on an empty topic and the round
 * begins once the group is balanced; a producer then appends N × {@code --messages} (default
 * 4,000 per member, about 2 s of a member's work) and the round ends when every message has
 * been handled once. Baseline: one member handling the same N × 4,000 messages (the same topic
 * size: on mongo-java-server a read's cost grows with the collection, so a smaller topic would
 * flatter the one member); the RESULT line's baseline is N × its throughput, so the ratio is
 * throughput(N) / (N × throughput(1)).
 */
public final class GroupScaling extends GroupScenario {
    private static final int DEFAULT_PER_MEMBER = 4_000;
    private final int members;

    private GroupScaling(GroupBackend backend, int members) {
        super(backend);
        this.members = members;
    }

    /** {@return {@code group-scaling-memory-<members>}} */
    public static GroupScaling memory(int members) {
        return new GroupScaling(GroupBackend.memory(), members);
    }

    /** {@return {@code group-scaling-mongoredis-<members>}} */
    public static GroupScaling mongoRedis(int members) {
        return new GroupScaling(GroupBackend.mongoRedis(), members);
    }

    /** {@return {@code group-scaling-kafka-<members>}} */
    public static GroupScaling kafka(int members) {
        return new GroupScaling(GroupBackend.kafka(), members);
    }

    @Override
    public String name() {
        return "group-scaling-" + backend.name() + "-" + members;
    }

    @Override
    public String description() {
        return members + " members of one group (2 ms handler, concurrency " + Members.CONCURRENCY + " each, "
                + KEYS + " keys) vs " + members + " x one member";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public double baselineScale() {
        return members;
    }

    @Override
    public String latencyMeaning() {
        return "append -> handler start";
    }

    @Override
    public Round framework(int round) throws Exception {
        return run("group-scaling-" + members + "-of-" + members + "-" + round, members);
    }

    @Override
    public Round baseline(int round) throws Exception {
        return run("group-scaling-1-of-" + members + "-" + round, 1);
    }

    private Round run(String topicName, int count) throws Exception {
        int messages = members * settings.messagesOr(DEFAULT_PER_MEMBER); // both sides: the same work
        Topic<BenchPayload> topic = topic(topicName);
        Histogram latencies = Round.newHistogram();
        AtomicIntegerArray seen = new AtomicIntegerArray(messages);
        AtomicLong distinct = new AtomicLong();
        AtomicLong duplicates = new AtomicLong();
        AtomicLongArray perMember = new AtomicLongArray(count);
        CountDownLatch allHandled = new CountDownLatch(1);
        Members.Listener listener = (member, slot, nanos, payload) -> {
            synchronized (latencies) {
                latencies.recordValue(Math.max(0, nanos - payload.sentNanos()));
            }
            perMember.incrementAndGet(member);
            if (seen.getAndIncrement((int) payload.seq()) > 0) {
                duplicates.incrementAndGet();
            } else if (distinct.incrementAndGet() == messages) {
                allHandled.countDown();
            }
        };
        try (Streamable producing = Streamable.open(backend.url());
             Members group = new Members(backend, topic, "scaling", keys, listener)) {
            // the topic exists before the members join, as in a running system
            producing.producer(topic).close();
            long joining = System.nanoTime();
            for (int member = 0; member < count; member++) {
                group.join();
            }
            Members.await(group::balanced, Duration.ofMinutes(2), "the " + count + " members share the slots");
            double joinSeconds = (System.nanoTime() - joining) / 1e9;
            long start = System.nanoTime();
            produce(producing, topic, messages);
            if (!allHandled.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The group handled " + distinct.get() + " of " + messages
                        + " messages within 5 minutes");
            }
            long elapsed = System.nanoTime() - start;
            System.out.printf(Locale.ROOT, "  %d member(s) balanced %.1f s after the first started (%s); handled per member"
                    + " %s; duplicates %d%n", count, joinSeconds, group.describe(), perMember, duplicates.get());
            return new Round(messages, elapsed, latencies);
        } finally {
            backend.deleteTopic(topicName);
        }
    }
}
