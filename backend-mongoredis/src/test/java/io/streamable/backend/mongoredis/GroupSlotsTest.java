package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import io.streamable.Position;
import io.streamable.Slots;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The {@code slots} and {@code rebalanceDelay} options (issue 13): a topic's slot count other
 * than 16 with several members, compaction and restarts; the count recorded once and refused
 * when a connection asks for another; the debounce taken from the URL.
 */
class GroupSlotsTest {
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        raw.close();
    }

    private Streamable connect(String... options) {
        List<String> all = new ArrayList<>(List.of("leaseTtl=5s"));
        all.addAll(List.of(options));
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, all.toArray(String[]::new)));
        open.add(streamable);
        return streamable;
    }

    private GroupMemberReader join(Streamable connection, String topic, List<Rebalance> rebalances) {
        GroupMemberReader member = ((ConsumerGroups) connection.backend().topic(topic))
                .joinGroup(ReaderSpec.named("workers", StartFrom.beginning()), rebalances::add);
        open.add(member);
        return member;
    }

    private static AppendRecord record(String key, String payload) {
        return new AppendRecord(key, Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static AppendRecord compacted(String key, String payload) {
        return new AppendRecord(key, Optional.of("state"), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(StoredRecord record) {
        return new String(record.payload(), StandardCharsets.UTF_8);
    }

    /** Reads (rebalances run inside) until the member has had nothing for a few reads or says it is at the head. */
    private static List<StoredRecord> drain(GroupMemberReader member) throws InterruptedException {
        List<StoredRecord> all = new ArrayList<>();
        int empty = 0;
        while (true) {
            ReadBatch batch = member.read(100, Duration.ofMillis(50));
            all.addAll(batch.records());
            if (!batch.records().isEmpty()) {
                member.commit(batch.records().get(batch.records().size() - 1).position());
            }
            empty = batch.records().isEmpty() ? empty + 1 : 0;
            if (batch.records().isEmpty() && (batch.caughtUp() || empty >= 5)) {
                return all;
            }
        }
    }

    private Document groupDocument(String topic) {
        return raw.getDatabase(database).getCollection(MongoGroups.GROUPS).find(Filters.eq("_id", topic + "/workers"))
                .first();
    }

    private Document topicDocument(String topic) {
        return raw.getDatabase(database).getCollection(MongoRedisBackend.TOPICS).find(Filters.eq("_id", topic)).first();
    }

    private static void assertSlotsSplit(int slotCount, List<GroupMemberReader> members) {
        Set<Integer> union = new TreeSet<>();
        int total = 0;
        for (GroupMemberReader member : members) {
            union.addAll(member.slots());
            total += member.slots().size();
            assertThat(member.slots().size()).as("member %s's share", member.memberId())
                    .isBetween(slotCount / members.size(), (slotCount + members.size() - 1) / members.size());
        }
        assertThat(total).as("no slot owned twice").isEqualTo(slotCount);
        assertThat(union).as("every slot owned").isEqualTo(IntStream.range(0, slotCount).boxed()
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    /** Whether the members own every slot once, each its share: {@link #assertSlotsSplit} as a condition. */
    private static boolean split(int slotCount, List<GroupMemberReader> members) {
        try {
            assertSlotsSplit(slotCount, members);
            return true;
        } catch (AssertionError notYet) {
            return false;
        }
    }

    /** One handled record: which member handled it and whether the member owned its key's slot then. */
    private record Handled(String key, int sequence, String member, boolean ownedSlot) {
    }

    @ParameterizedTest(name = "slots={0}")
    @ValueSource(ints = {4, 32})
    @DisplayName("a topic with slots=N (not 16) and 3 members joining while keyed messages are produced: every slot"
            + " owned by exactly one member, each member reads only its slots, nothing lost or repeated, per-key order")
    void threeMembersShareTheTopicsSlots(int slotCount) throws Exception {
        String topic = "keyed";
        int keys = 48;
        TopicStore producer = connect("slots=" + slotCount, "rebalanceDelay=200ms").backend().topic(topic);
        List<Handled> handled = new CopyOnWriteArrayList<>();
        List<GroupMemberReader> members = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            Future<Integer> produced = threads.submit(() -> {
                int round = 0;
                // keeps producing until the three members have split the slots and each has handled records
                // (a hand-over completes a little after the split shows), then 10 rounds more: the joins and
                // hand-overs happen while records arrive, and every member gets records after them
                for (int after = 0; after < 10; round++) {
                    List<AppendRecord> batch = new ArrayList<>();
                    for (int key = 0; key < keys; key++) {
                        batch.add(record("key-" + key, Integer.toString(round)));
                    }
                    producer.append(batch).get(30, TimeUnit.SECONDS);
                    if (members.size() == 3 && split(slotCount, members)
                            && handled.stream().map(Handled::member).distinct().count() == 3 || round >= 300) {
                        after++;
                    }
                }
                return round;
            });
            List<Future<?>> readers = new ArrayList<>();
            // the first two ask for the topic's count, the third has no slots option and takes the recorded one
            List<Streamable> connections = List.of(connect("slots=" + slotCount, "rebalanceDelay=200ms"),
                    connect("slots=" + slotCount, "rebalanceDelay=200ms"), connect("rebalanceDelay=200ms"));
            for (Streamable connection : connections) {
                GroupMemberReader member = join(connection, topic, new CopyOnWriteArrayList<>());
                assertThat(member.slotCount()).isEqualTo(slotCount);
                members.add(member);
                readers.add(threads.submit(() -> {
                    while (!stop.get()) {
                        ReadBatch batch = member.read(100, Duration.ofMillis(100));
                        Set<Integer> mine = member.slots(); // changes only inside read(), on this thread
                        for (StoredRecord record : batch.records()) {
                            handled.add(new Handled(record.shardingKey(), Integer.parseInt(text(record)),
                                    member.memberId(), mine.contains(Slots.slotOf(record.shardingKey(), slotCount))));
                        }
                        if (!batch.records().isEmpty()) {
                            // handled synchronously, so committed before the next read may hand a slot over
                            member.commit(batch.records().get(batch.records().size() - 1).position());
                        }
                    }
                    return null;
                }));
            }
            int rounds = produced.get(120, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(handled).hasSizeGreaterThanOrEqualTo(rounds * keys);
                assertSlotsSplit(slotCount, members);
            });
            stop.set(true);
            for (Future<?> reader : readers) {
                reader.get(30, TimeUnit.SECONDS);
            }

            assertThat(handled).as("every record handled by a member owning its key's slot")
                    .allSatisfy(record -> assertThat(record.ownedSlot()).as(record.toString()).isTrue());
            Map<String, List<Integer>> byKey = new LinkedHashMap<>();
            handled.forEach(record -> byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.sequence()));
            List<Integer> everyRound = IntStream.range(0, rounds).boxed().toList();
            assertThat(byKey).hasSize(keys);
            byKey.forEach((key, sequences) -> assertThat(sequences).as("key %s: each once, in order", key)
                    .isEqualTo(everyRound));
            Set<String> handlers = handled.stream().map(Handled::member).collect(Collectors.toSet());
            for (GroupMemberReader member : members) {
                if (IntStream.range(0, keys).anyMatch(key -> member.slots().contains(Slots.slotOf("key-" + key, slotCount)))) {
                    assertThat(handlers).as("member %s, whose slots hold keys, handled the records after the split",
                            member.memberId()).contains(member.memberId());
                }
            }
        } finally {
            stop.set(true);
            threads.shutdownNow();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        // storage: every message's slot field is its key's slot among N, the count recorded once
        for (Document document : raw.getDatabase(database).getCollection(topic).find()) {
            assertThat(document.getInteger(MongoGroups.SLOT))
                    .isEqualTo(Slots.slotOf(document.getString(MongoTopicStore.SHARDING_KEY), slotCount));
        }
        assertThat(topicDocument(topic).get(MongoGroups.SLOT_COUNT)).isEqualTo(slotCount);
        Document group = groupDocument(topic);
        assertThat(group.get(MongoGroups.SLOT_COUNT)).isEqualTo(slotCount);
        assertThat(group.get(MongoGroups.SLOTS, Document.class).keySet()).hasSize(slotCount);
        GroupDescription description = ((ConsumerGroups) producer).describeGroup("workers").orElseThrow();
        assertThat(description.slotCount()).isEqualTo(slotCount);
        assertThat(description.slots()).hasSize(slotCount).allSatisfy(slot -> {
            assertThat(slot.owner()).isPresent();
            assertThat(slot.lag()).isZero();
        });
        for (GroupMemberReader member : members) {
            assertThat(description.members()).filteredOn(m -> m.memberId().equals(member.memberId()))
                    .singleElement().satisfies(m -> assertThat(m.slots()).isEqualTo(member.slots()));
        }
    }

    @Test
    @DisplayName("slots=32 with compaction and restarts: stubs are skipped, each key's newest value is read once by"
            + " the member owning its slot, and a restarted member alone resumes all 32 slots after their commits")
    void compactionAndRestartsWith32Slots() throws Exception {
        String topic = "compacted";
        TopicStore store = connect("slots=32").backend().topic(topic);
        List<AppendRecord> first = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            first.add(compacted("key-" + (i % 20), "v" + i)); // every key twice: the first of each becomes a stub
        }
        store.append(first).get();

        GroupMemberReader a = join(connect("slots=32"), topic, new CopyOnWriteArrayList<>());
        List<StoredRecord> readByA = new ArrayList<>(drain(a));
        GroupMemberReader b = join(connect(), topic, new CopyOnWriteArrayList<>());
        List<StoredRecord> readByB = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            readByA.addAll(drain(a));
            readByB.addAll(drain(b));
            assertSlotsSplit(32, List.of(a, b));
        });
        // a read everything alone first (all 32 slots); b's slots were committed by a, so b reads nothing again
        assertThat(readByA).extracting(GroupSlotsTest::text)
                .containsExactlyInAnyOrderElementsOf(IntStream.range(20, 40).mapToObj(i -> "v" + i).toList());
        assertThat(readByB).isEmpty();

        List<AppendRecord> second = new ArrayList<>();
        for (int i = 40; i < 60; i++) {
            second.add(compacted("key-" + (i % 20), "v" + i));
        }
        store.append(second).get();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            readByA.addAll(drain(a));
            readByB.addAll(drain(b));
            assertThat(readByA.size() + readByB.size()).isEqualTo(40);
        });
        assertThat(readByA.subList(20, readByA.size())).allSatisfy(record ->
                assertThat(a.slots()).contains(Slots.slotOf(record.shardingKey(), 32)));
        assertThat(readByB).isNotEmpty().allSatisfy(record ->
                assertThat(b.slots()).contains(Slots.slotOf(record.shardingKey(), 32)));
        a.close();
        b.close();

        List<AppendRecord> third = new ArrayList<>();
        for (int i = 60; i < 80; i++) {
            third.add(compacted("key-" + (i % 20), "v" + i));
        }
        store.append(third).get();
        List<Rebalance> rebalances = new CopyOnWriteArrayList<>();
        GroupMemberReader restarted = join(connect(), topic, rebalances);
        assertThat(restarted.slotCount()).isEqualTo(32);
        assertThat(restarted.slots()).as("alone: every slot at once").hasSize(32);
        assertThat(drain(restarted)).as("only what came after the slots' commits, stubs skipped")
                .extracting(GroupSlotsTest::text)
                .containsExactlyInAnyOrderElementsOf(IntStream.range(60, 80).mapToObj(i -> "v" + i).toList());
        assertThat(restarted.lag(Optional.empty())).isZero();
        assertThat(store.savedPosition("workers")).contains(Position.of(80));
    }

    @Test
    @DisplayName("a connection asking for another slot count than the topic's recorded one fails its appends and"
            + " joins, naming the recorded count and what to do; one without the option takes the recorded count")
    void anotherSlotCountFailsClearly() throws Exception {
        String topic = "fixed";
        TopicStore first = connect("slots=4").backend().topic(topic);
        first.append(List.of(record("a", "1"))).get();
        assertThat(topicDocument(topic).get(MongoGroups.SLOT_COUNT)).isEqualTo(4);

        TopicStore other = connect("slots=8").backend().topic(topic);
        CompletableFuture<List<Position>> refused = other.append(List.of(record("b", "2")));
        assertThatThrownBy(refused::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Topic \"fixed\"").hasMessageContaining("splits its keys into 4 slots")
                .hasMessageContaining("asks for slots=8").hasMessageContaining("Use slots=4 (or no slots option)")
                .hasMessageContaining("delete the topic");
        assertThatThrownBy(() -> ((ConsumerGroups) other).joinGroup(ReaderSpec.named("workers", StartFrom.beginning()),
                change -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("splits its keys into 4 slots")
                .hasMessageContaining("asks for slots=8");
        // an exclusive reader does not depend on slots: it still reads the topic
        try (TopicReader reader = other.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ofSeconds(5)).records()).extracting(GroupSlotsTest::text)
                    .containsExactly("1");
        }
        assertThat(topicDocument(topic).get(MongoGroups.SLOT_COUNT)).as("unchanged").isEqualTo(4);
        assertThat(raw.getDatabase(database).getCollection(topic).countDocuments()).as("nothing stored").isEqualTo(1);

        TopicStore adopting = connect().backend().topic(topic);
        adopting.append(List.of(record("c", "3"))).get();
        GroupMemberReader member = join(connect(), topic, new CopyOnWriteArrayList<>());
        assertThat(member.slotCount()).isEqualTo(4);
        assertThat(member.slots()).hasSize(4);
        assertThat(drain(member)).extracting(GroupSlotsTest::text).containsExactly("1", "3");
        for (Document document : raw.getDatabase(database).getCollection(topic).find()) {
            assertThat(document.getInteger(MongoGroups.SLOT))
                    .isEqualTo(Slots.slotOf(document.getString(MongoTopicStore.SHARDING_KEY), 4));
        }
    }

    @Test
    @DisplayName("a topic written before the count was recorded keeps 16: its slot fields were computed for 16, so"
            + " slots=4 is refused naming 16, and no option joins with 16")
    void topicFromBeforeTheOptionKeeps16() throws Exception {
        String topic = "older";
        TopicStore store = connect().backend().topic(topic);
        store.append(IntStream.range(0, 10).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        // as a version before the option left it: slot fields for 16, no record
        raw.getDatabase(database).getCollection(MongoRedisBackend.TOPICS).deleteOne(Filters.eq("_id", topic));

        TopicStore asking = connect("slots=4").backend().topic(topic);
        assertThatThrownBy(() -> asking.append(List.of(record("x", "y"))).get()).cause()
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("splits its keys into 16 slots")
                .hasMessageContaining("asks for slots=4");
        assertThat(topicDocument(topic).get(MongoGroups.SLOT_COUNT)).as("recorded as written").isEqualTo(16);
        GroupMemberReader member = join(connect(), topic, new CopyOnWriteArrayList<>());
        assertThat(member.slotCount()).isEqualTo(16);
        assertThat(drain(member)).hasSize(10);
    }

    @Test
    @DisplayName("deleting a topic forgets its slot count: created again, it takes the new connection's count")
    void deletedTopicTakesANewCount() throws Exception {
        Streamable four = connect("slots=4");
        four.backend().topic("again").append(List.of(record("a", "1"))).get();
        four.deleteTopic("again");
        assertThat(topicDocument("again")).isNull();
        TopicStore eight = connect("slots=8").backend().topic("again");
        eight.append(List.of(record("a", "2"))).get();
        assertThat(topicDocument("again").get(MongoGroups.SLOT_COUNT)).isEqualTo(8);
        assertThat(join(connect(), "again", new CopyOnWriteArrayList<>()).slotCount()).isEqualTo(8);
    }

    // ---------------------------------------------------------------- rebalanceDelay

    @Test
    @DisplayName("rebalanceDelay=0: the target assignment is written within the second member's join, no debounce")
    void zeroDelayAssignsAtTheJoin() throws Exception {
        String topic = "prompt";
        connect("slots=4").backend().topic(topic).append(List.of(record("a", "1"))).get();
        GroupMemberReader a = join(connect("rebalanceDelay=0"), topic, new CopyOnWriteArrayList<>());
        assertThat(a.slots()).hasSize(4);
        GroupMemberReader b = join(connect("rebalanceDelay=0"), topic, new CopyOnWriteArrayList<>());

        MongoGroups.View view = MongoGroups.View.of(groupDocument(topic));
        assertThat(view.pending()).as("targets already written").isFalse();
        long[] targets = view.target();
        assertThat(Arrays.stream(targets).filter(id -> id == Long.parseLong(a.memberId())).count()).isEqualTo(2);
        assertThat(Arrays.stream(targets).filter(id -> id == Long.parseLong(b.memberId())).count()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            drain(a);
            drain(b);
            assertSlotsSplit(4, List.of(a, b));
        });
    }

    @Test
    @DisplayName("rebalanceDelay=1m: a second member's join leaves the assignment pending while the members keep"
            + " reading; the first keeps every slot")
    void longDelayHoldsTheAssignment() throws Exception {
        String topic = "patient";
        connect("slots=4").backend().topic(topic).append(List.of(record("a", "1"))).get();
        GroupMemberReader a = join(connect("rebalanceDelay=1m"), topic, new CopyOnWriteArrayList<>());
        GroupMemberReader b = join(connect("rebalanceDelay=1m"), topic, new CopyOnWriteArrayList<>());
        for (int round = 0; round < 10; round++) {
            drain(a);
            drain(b);
        }
        assertThat(a.slots()).hasSize(4);
        assertThat(b.slots()).isEmpty();
        assertThat(MongoGroups.View.of(groupDocument(topic)).pending()).isTrue();
    }

    @Test
    @DisplayName("the debounce coalesces two joins in quick succession: the first member gives up slots once,"
            + " straight to its final share, and each newcomer takes its slot in one rebalance")
    void debounceCoalescesTwoJoins() throws Exception {
        String topic = "coalesced";
        connect("slots=4").backend().topic(topic).append(List.of(record("a", "1"))).get();
        // long enough for two joins back to back on a loaded machine, short enough for a test
        String delay = "rebalanceDelay=4s";
        List<Rebalance> ofA = new CopyOnWriteArrayList<>();
        List<Rebalance> ofB = new CopyOnWriteArrayList<>();
        List<Rebalance> ofC = new CopyOnWriteArrayList<>();
        GroupMemberReader a = join(connect(delay), topic, ofA);
        assertThat(a.slots()).hasSize(4);
        Streamable second = connect(delay);
        Streamable third = connect(delay);
        GroupMemberReader b = join(second, topic, ofB);
        GroupMemberReader c = join(third, topic, ofC);
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            drain(a);
            drain(b);
            drain(c);
            assertSlotsSplit(4, List.of(a, b, c));
        });
        assertThat(ofA).as("one rebalance, from 4 slots to 2").singleElement().satisfies(change -> {
            assertThat(change.revoked()).hasSize(2);
            assertThat(change.assigned()).isEmpty();
        });
        assertThat(ofB).singleElement().satisfies(change -> assertThat(change.assigned()).hasSize(1));
        assertThat(ofC).singleElement().satisfies(change -> assertThat(change.assigned()).hasSize(1));
        Set<Integer> moved = new HashSet<>(ofB.get(0).assigned());
        moved.addAll(ofC.get(0).assigned());
        assertThat(moved).isEqualTo(ofA.get(0).revoked());
    }
}
