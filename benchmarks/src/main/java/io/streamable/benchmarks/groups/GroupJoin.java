package io.streamable.benchmarks.groups;

import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code group-join-<backend>} (issue 13): the pause a join causes. One member (2 ms handler,
 * concurrency 4, 64 keys) works through a backlog; after it has handled {@value #BEFORE_JOIN}
 * messages (about 1 s) a second member joins and takes half the slots. For each slot that moved,
 * the gap is the time from the old owner's last delivery of that slot to the new owner's first;
 * the figure is the longest gap of a round (the p99 of at most 8 gaps), the round ends once the new
 * member delivers every slot it took. Baseline: the same group without the join; its figure is the
 * longest gap between two consecutive deliveries of one slot during the {@value #WINDOW_MILLIS} ms
 * after the same point, the pause a slot sees anyway. The ratio (baseline / framework) is thus the
 * ordinary per-slot gap over the join's; higher is better, 1 would mean a join costs nothing.
 */
public final class GroupJoin extends GroupScenario {
    private static final int BEFORE_JOIN = Members.MEMBER_RATE;
    private static final int WINDOW_MILLIS = 2_000;
    /** Backlog: 15 s of one member's work, longer than a join takes (a round fails if it runs out first). */
    private static final int BACKLOG = 15 * Members.MEMBER_RATE;

    private GroupJoin(GroupBackend backend) {
        super(backend);
    }

    /** {@return {@code group-join-memory}} */
    public static GroupJoin memory() {
        return new GroupJoin(GroupBackend.memory());
    }

    /** {@return {@code group-join-mongoredis}} */
    public static GroupJoin mongoRedis() {
        return new GroupJoin(GroupBackend.mongoRedis());
    }

    /** {@return {@code group-join-kafka}} */
    public static GroupJoin kafka() {
        return new GroupJoin(GroupBackend.kafka());
    }

    @Override
    public String name() {
        return "group-join-" + backend.name();
    }

    @Override
    public String description() {
        return "longest per-slot delivery gap when a 2nd member joins a busy group vs the longest per-slot gap"
                + " without a join";
    }

    @Override
    public Unit unit() {
        return Unit.LATENCY;
    }

    @Override
    public String latencyMeaning() {
        return "per moved slot: old owner's last delivery -> new owner's first";
    }

    /** Every delivery of one slot, in the order the handlers started. */
    private static final class SlotLog {
        final List<long[]> deliveries = new ArrayList<>(); // {nanos, member}

        synchronized void add(long nanos, int member) {
            deliveries.add(new long[] {nanos, member});
        }

        synchronized List<long[]> copy() {
            List<long[]> copy = new ArrayList<>(deliveries);
            copy.sort((a, b) -> Long.compare(a[0], b[0]));
            return copy;
        }

        synchronized boolean deliveredBy(int member) {
            for (long[] delivery : deliveries) {
                if (delivery[1] == member) {
                    return true;
                }
            }
            return false;
        }
    }

    @Override
    public Round framework(int round) throws Exception {
        return run("group-join-" + round, true);
    }

    @Override
    public Round baseline(int round) throws Exception {
        return run("group-no-join-" + round, false);
    }

    private Round run(String topicName, boolean join) throws Exception {
        Topic<BenchPayload> topic = topic(topicName);
        int slotCount = backend.slotCount();
        SlotLog[] logs = new SlotLog[slotCount];
        for (int slot = 0; slot < slotCount; slot++) {
            logs[slot] = new SlotLog();
        }
        AtomicLong handled = new AtomicLong();
        Members.Listener listener = (member, slot, nanos, payload) -> {
            logs[slot].add(nanos, member);
            handled.incrementAndGet();
        };
        try (Streamable producing = Streamable.open(backend.url());
             Members group = new Members(backend, topic, "joining", keys, listener)) {
            producing.producer(topic).close();
            group.join();
            Members.await(group::balanced, Duration.ofMinutes(1), "the first member owns every slot");
            Thread producer = produceInBackground(producing, topic, BACKLOG);
            Members.await(() -> handled.get() >= BEFORE_JOIN, Duration.ofMinutes(1),
                    "the first member handled " + BEFORE_JOIN + " messages");
            long mark = System.nanoTime();
            Histogram gaps = Round.newHistogram();
            long elapsed;
            if (join) {
                int second = group.join();
                Members.await(() -> {
                    if (handled.get() >= BACKLOG) {
                        throw new IllegalStateException("The backlog of " + BACKLOG + " messages ran out before the"
                                + " second member delivered every slot it took: " + group.describe());
                    }
                    Set<Integer> taken = group.slots(second);
                    return taken.size() == slotCount / 2 && taken.stream().allMatch(slot -> logs[slot].deliveredBy(second));
                }, Duration.ofMinutes(2), "the second member delivers every slot it took");
                elapsed = System.nanoTime() - mark;
                long longest = 0;
                int overlaps = 0;
                for (int slot : group.slots(second)) {
                    long lastOld = 0;
                    long firstNew = 0;
                    for (long[] delivery : logs[slot].copy()) {
                        if (delivery[1] == second) {
                            firstNew = delivery[0];
                            break;
                        }
                        lastOld = delivery[0];
                    }
                    // an old-owner delivery after the new owner's first would be an overlap, not a gap
                    for (long[] delivery : logs[slot].copy()) {
                        if (delivery[1] != second && delivery[0] > firstNew) {
                            overlaps++;
                        }
                    }
                    long gap = Math.max(0, firstNew - Math.max(lastOld, 0));
                    gaps.recordValue(gap);
                    longest = Math.max(longest, gap);
                }
                System.out.printf(Locale.ROOT, "  join: second member delivering all %d slots it took %.0f ms after it"
                                + " started; longest per-slot gap %.1f ms, median %.1f ms; old-owner deliveries after the"
                                + " new owner's first: %d; %s%n", slotCount / 2, elapsed / 1e6, longest / 1e6,
                        gaps.getValueAtPercentile(50) / 1e6, overlaps, group.describe());
            } else {
                long end = mark + TimeUnit.MILLISECONDS.toNanos(WINDOW_MILLIS);
                Members.await(() -> System.nanoTime() > end, Duration.ofMillis(WINDOW_MILLIS + 1000), "the window ends");
                elapsed = System.nanoTime() - mark;
                for (SlotLog log : logs) {
                    long previous = 0;
                    long longest = 0;
                    for (long[] delivery : log.copy()) {
                        if (delivery[0] > mark && previous > 0 && delivery[0] <= end) {
                            longest = Math.max(longest, delivery[0] - Math.max(previous, mark));
                        }
                        previous = delivery[0];
                    }
                    gaps.recordValue(longest);
                }
                System.out.printf(Locale.ROOT, "  no join: longest per-slot gap over %d ms %.1f ms%n", WINDOW_MILLIS,
                        gaps.getMaxValue() / 1e6);
            }
            producer.join(); // appends are quick next to the handlers; the topic is deleted after them
            return new Round(gaps.getTotalCount(), elapsed, gaps);
        } finally {
            backend.deleteTopic(topicName);
        }
    }
}
