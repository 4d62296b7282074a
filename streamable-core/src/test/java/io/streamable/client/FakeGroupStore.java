package io.streamable.client;

import io.streamable.Position;
import io.streamable.Slots;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.Backend;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerFencedException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A single-log topic store whose named readers are consumer group members, for the engine's
 * rebalance tests: the test decides when a member's slots change ({@link FakeMember#offer}), and
 * the member runs the engine's listener from inside its next read, exactly where a backend must.
 * Everything that happens (listener calls and returns, commits) lands in one {@link #events} list,
 * which the test's handler also writes to, so the order can be checked. Synchronised on itself.
 */
final class FakeGroupStore implements TopicStore, ConsumerGroups {
    private final String name;
    private final int slotCount;
    private final List<StoredRecord> log = new ArrayList<>();
    private final long[] committed;
    /** Everything in order: "handle k@3", "handled k@3", "rebalance -[1] +[]", "rebalanced", "commit 5 [0, 1]". */
    final List<String> events = new CopyOnWriteArrayList<>();
    private FakeMember member;

    FakeGroupStore(String name, int slotCount) {
        this.name = name;
        this.slotCount = slotCount;
        this.committed = new long[slotCount];
        Arrays.fill(committed, -1);
    }

    /** The first key of the form {@code prefix-N} whose slot is {@code slot}. */
    static String keyInSlot(String prefix, int slot, int slotCount) {
        for (int i = 0; ; i++) {
            String key = prefix + "-" + i;
            if (Slots.slotOf(key, slotCount) == slot) {
                return key;
            }
        }
    }

    Position append(String key, String text) {
        return append(List.of(new AppendRecord(key, Optional.empty(), Map.of(),
                ('"' + text + '"').getBytes(StandardCharsets.UTF_8)))).join().get(0);
    }

    synchronized long committed(int slot) {
        return committed[slot];
    }

    FakeMember member() {
        return member;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public synchronized CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        List<Position> positions = new ArrayList<>();
        for (AppendRecord record : records) {
            Position position = Position.of(log.size());
            log.add(new StoredRecord(position, Instant.now(), record.shardingKey(), record.logCompactId(),
                    record.headers(), record.payload()));
            positions.add(position);
        }
        notifyAll();
        return CompletableFuture.completedFuture(positions);
    }

    @Override
    public TopicReader openReader(ReaderSpec spec) {
        throw new UnsupportedOperationException("the engine joins groups on this store; it never opens exclusive readers");
    }

    @Override
    public synchronized GroupMemberReader joinGroup(ReaderSpec spec, RebalanceListener listener) {
        member = new FakeMember(listener);
        return member;
    }

    @Override
    public Optional<GroupDescription> describeGroup(String consumerName) {
        return Optional.empty();
    }

    @Override
    public synchronized Optional<Position> head() {
        return log.isEmpty() ? Optional.empty() : Optional.of(Position.of(log.size() - 1));
    }

    @Override
    public synchronized Optional<Position> savedPosition(String consumerName) {
        long lowest = Arrays.stream(committed).min().orElse(-1);
        return lowest < 0 ? Optional.empty() : Optional.of(Position.of(lowest));
    }

    @Override
    public Set<String> consumerNames() {
        return Set.of();
    }

    @Override
    public synchronized long lag(Optional<Position> position) {
        return log.size() - position.map(p -> p.offset() + 1).orElse(0L);
    }

    /** The one member; it starts owning every slot, from the beginning. */
    final class FakeMember implements GroupMemberReader {
        private final RebalanceListener listener;
        private final boolean[] owned = new boolean[slotCount];
        private final long[] floor = new long[slotCount];
        private long scan;
        private Rebalance pending;
        /** Whether the pending change's assigned slots are taken (a backend may announce slots it then does not take). */
        private boolean takeAssigned;
        private boolean wakeup;
        private boolean closed;
        private boolean fenced;

        FakeMember(RebalanceListener listener) {
            this.listener = listener;
            Arrays.fill(owned, true);
        }

        /** The next read runs the listener with this change, then makes it. */
        void offer(Set<Integer> revoked, Set<Integer> assigned, boolean rewinds) {
            synchronized (FakeGroupStore.this) {
                pending = new Rebalance(revoked, assigned, slotCount, rewinds);
                takeAssigned = true;
                FakeGroupStore.this.notifyAll();
            }
        }

        /**
         * The next read runs the listener with a change that assigns these slots, then does not take
         * them, as a backend whose group changed again in the meantime (the SPI allows it).
         */
        void offerWithoutTaking(Set<Integer> assigned) {
            synchronized (FakeGroupStore.this) {
                pending = new Rebalance(Set.of(), assigned, slotCount, true);
                takeAssigned = false;
                FakeGroupStore.this.notifyAll();
            }
        }

        /** Whether a change offered has been made. */
        boolean settled() {
            synchronized (FakeGroupStore.this) {
                return pending == null;
            }
        }

        void fence() {
            synchronized (FakeGroupStore.this) {
                fenced = true;
                FakeGroupStore.this.notifyAll();
            }
        }

        @Override
        public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
            long deadline = System.nanoTime() + maxWait.toNanos();
            while (true) {
                Rebalance change;
                synchronized (FakeGroupStore.this) {
                    checkFenced();
                    change = pending;
                    if (change == null) {
                        List<StoredRecord> records = new ArrayList<>();
                        while (scan < log.size() && records.size() < max) {
                            StoredRecord record = log.get((int) scan);
                            int slot = Slots.slotOf(record.shardingKey(), slotCount);
                            if (owned[slot] && scan >= floor[slot]) {
                                records.add(record);
                            }
                            scan++;
                        }
                        long left = deadline - System.nanoTime();
                        if (!records.isEmpty() || left <= 0 || wakeup || closed) {
                            wakeup = false;
                            return new ReadBatch(records, scan >= log.size());
                        }
                        FakeGroupStore.this.wait(Math.max(1, left / 1_000_000));
                        continue;
                    }
                }
                // outside the lock, on the reading thread, as the SPI says
                events.add("rebalance -" + change.revoked() + " +" + change.assigned());
                listener.beforeRebalance(change);
                events.add("rebalanced");
                synchronized (FakeGroupStore.this) {
                    checkFenced();
                    for (int slot : change.revoked()) {
                        owned[slot] = false;
                    }
                    long lowest = Long.MAX_VALUE;
                    for (int slot = 0; slot < slotCount; slot++) {
                        if (owned[slot]) {
                            floor[slot] = Math.max(floor[slot], scan);
                        }
                    }
                    for (int slot : takeAssigned ? change.assigned() : Set.<Integer>of()) {
                        owned[slot] = true;
                        floor[slot] = committed[slot] + 1;
                    }
                    for (int slot = 0; slot < slotCount; slot++) {
                        if (owned[slot]) {
                            lowest = Math.min(lowest, floor[slot]);
                        }
                    }
                    scan = lowest == Long.MAX_VALUE ? log.size() : lowest;
                    pending = null;
                }
            }
        }

        private void checkFenced() {
            if (fenced) {
                throw new ConsumerFencedException(name, "group", "fenced by the test");
            }
        }

        @Override
        public Optional<Position> startPosition() {
            return Optional.empty();
        }

        @Override
        public void commit(Position consumed) {
            synchronized (FakeGroupStore.this) {
                checkFenced();
                Set<Integer> slots = slots();
                for (int slot : slots) {
                    committed[slot] = Math.max(committed[slot], consumed.offset());
                }
                events.add("commit " + consumed.offset() + " " + slots);
            }
        }

        @Override
        public void wakeup() {
            synchronized (FakeGroupStore.this) {
                wakeup = true;
                FakeGroupStore.this.notifyAll();
            }
        }

        @Override
        public void close() {
            synchronized (FakeGroupStore.this) {
                closed = true;
                FakeGroupStore.this.notifyAll();
            }
        }

        @Override
        public String memberId() {
            return "m1";
        }

        @Override
        public int slotCount() {
            return slotCount;
        }

        @Override
        public Set<Integer> slots() {
            synchronized (FakeGroupStore.this) {
                Set<Integer> slots = new TreeSet<>();
                for (int slot = 0; slot < slotCount; slot++) {
                    if (owned[slot]) {
                        slots.add(slot);
                    }
                }
                return slots;
            }
        }

        @Override
        public long lag(Optional<Position> handled) {
            synchronized (FakeGroupStore.this) {
                long count = 0;
                for (StoredRecord record : log) {
                    int slot = Slots.slotOf(record.shardingKey(), slotCount);
                    long offset = record.position().offset();
                    if (owned[slot] && offset > committed[slot] && offset > handled.map(Position::offset).orElse(-1L)) {
                        count++;
                    }
                }
                return count;
            }
        }
    }

    /** A backend with one such topic. */
    static final class FakeGroupBackend implements Backend {
        private final FakeGroupStore store;

        FakeGroupBackend(FakeGroupStore store) {
            this.store = store;
        }

        @Override
        public FakeGroupStore topic(String topicName) {
            return store;
        }

        @Override
        public Set<String> listTopics() {
            return Set.of(store.name());
        }

        @Override
        public String describe() {
            return "fake-groups:";
        }

        @Override
        public void close() {
        }
    }
}
