package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Consumer groups on MongoDB, below the contract: a suspended member is fenced and its commits are
 * not applied, a restarted member resumes at the slots' committed positions, documents written
 * before the slot field are read by the member owning their key's slot, and an exclusive reader
 * fences the group.
 */
class GroupFencingTest {
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Rebalance> rebalances = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        raw.close();
    }

    private Streamable connect() {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, "leaseTtl=900ms"));
        open.add(streamable);
        return streamable;
    }

    private GroupMemberReader join(Streamable connection, String topic, StartFrom start) {
        GroupMemberReader member = ((ConsumerGroups) connection.backend().topic(topic))
                .joinGroup(ReaderSpec.named("workers", start), rebalances::add);
        open.add(member);
        return member;
    }

    private static AppendRecord record(String key, String payload) {
        return new AppendRecord(key, Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads until the member has read everything its slots hold; rebalances run inside. */
    /**
     * Reads until the member is at the head, or has had nothing for a few reads: a member waiting for
     * another to release its share is not at the head, and the other releases only when it reads.
     */
    private static List<StoredRecord> drain(GroupMemberReader member) throws InterruptedException {
        List<StoredRecord> all = new ArrayList<>();
        int empty = 0;
        while (true) {
            var batch = member.read(100, Duration.ofMillis(50));
            all.addAll(batch.records());
            empty = batch.records().isEmpty() ? empty + 1 : 0;
            if (batch.records().isEmpty() && (batch.caughtUp() || empty >= 5)) {
                return all;
            }
        }
    }

    @Test
    @DisplayName("a member's first read without waiting, right after it joined, does not say it is at the head before"
            + " it looked: the minimum interval between fetches does not count before the first fetch")
    void firstReadIsNotCaughtUpBeforeItFetched() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("first-read");
        store.append(IntStream.range(0, 5).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        GroupMemberReader member = join(connection, "first-read", StartFrom.beginning());
        ReadBatch first = member.read(100, Duration.ZERO);
        assertThat(first.records().isEmpty() && first.caughtUp()).as("caught up with nothing read while 5 are stored")
                .isFalse();
        List<StoredRecord> all = new ArrayList<>(first.records());
        all.addAll(drain(member));
        assertThat(all).hasSize(5);
    }

    @Test
    @DisplayName("a member paused past its lease loses its slots to the others; its commit is refused and saves"
            + " nothing, its read throws ConsumerFencedException")
    void suspendedMemberIsFenced() throws Exception {
        Streamable first = connect();
        TopicStore store = first.backend().topic("fenced");
        store.append(IntStream.range(0, 40).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        GroupMemberReader paused = join(first, "fenced", StartFrom.beginning());
        assertThat(paused.slots()).hasSize(16);
        List<StoredRecord> read = drain(paused);
        assertThat(read).hasSize(40);
        paused.commit(Position.of(20));

        GroupMemberReader survivor = join(connect(), "fenced", StartFrom.beginning());
        ((MongoRedisBackend) first.backend()).suspendOwnership();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            drain(survivor);
            assertThat(survivor.slots()).hasSize(16);
        });

        assertThatThrownBy(() -> paused.commit(Position.of(40))).isInstanceOf(ConsumerFencedException.class)
                .hasMessageContaining("\"workers\"");
        assertThatThrownBy(() -> paused.read(10, Duration.ZERO)).isInstanceOf(ConsumerFencedException.class);
        assertThat(store.savedPosition("workers")).as("the fenced commit saved nothing").contains(Position.of(20));
        assertThat(((ConsumerGroups) store).describeGroup("workers")).hasValueSatisfying(group -> {
            assertThat(group.members()).extracting(member -> member.memberId()).containsExactly(survivor.memberId());
            assertThat(group.slots()).allSatisfy(slot -> assertThat(slot.owner()).contains(survivor.memberId()));
        });
    }

    @Test
    @DisplayName("a member that restarts resumes every slot after the slot's committed position: a slot its"
            + " predecessor committed is not read again, one it never committed is read from the start")
    void restartResumesPerSlotPositions() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("restart");
        store.append(IntStream.range(0, 60).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        GroupMemberReader a = join(connection, "restart", StartFrom.beginning());
        GroupMemberReader b = join(connect(), "restart", StartFrom.beginning());
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            drain(a);
            drain(b);
            assertThat(a.slots()).hasSize(8);
            assertThat(b.slots()).hasSize(8);
        });
        Set<Integer> slotsOfA = a.slots();
        a.commit(Position.of(60)); // a handled all of its slots' records; b commits nothing
        a.close();
        b.close();

        GroupMemberReader restarted = join(connect(), "restart", StartFrom.beginning());
        assertThat(restarted.slots()).as("alone: every slot at once").hasSize(16);
        List<StoredRecord> again = drain(restarted);

        assertThat(again).isNotEmpty().allSatisfy(record -> assertThat(slotsOfA)
                .doesNotContain(io.streamable.Slots.slotOf(record.shardingKey(), 16)));
        long expected = IntStream.range(0, 60).filter(i -> !slotsOfA.contains(io.streamable.Slots.slotOf("key-" + i, 16)))
                .count();
        assertThat(again).as("b's slots from the start").hasSize((int) expected);
        assertThat(store.savedPosition("workers")).as("the lowest slot has committed nothing").isEmpty();
    }

    @Test
    @DisplayName("documents written before the slot field are read by the member that owns their key's slot,"
            + " computed from the key; together the members read each exactly once")
    void documentsWithoutSlotField() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("legacy");
        store.append(List.of(record("first", "0"))).get(); // creates the collection and its indexes
        var collection = raw.getDatabase(database).getCollection("legacy");
        for (int i = 2; i <= 41; i++) {
            collection.insertOne(new Document("_id", (long) i).append("shardingKey", "old-" + i)
                    .append("payload", new org.bson.types.Binary(("p" + i).getBytes(StandardCharsets.UTF_8)))
                    .append("createdAt", new Date()));
        }
        assertThat(collection.countDocuments(com.mongodb.client.model.Filters.exists("slot"))).isEqualTo(1);
        GroupMemberReader a = join(connection, "legacy", StartFrom.beginning());
        List<StoredRecord> readByA = new ArrayList<>(drain(a));
        GroupMemberReader b = join(connect(), "legacy", StartFrom.beginning());
        List<StoredRecord> readByB = new ArrayList<>();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            readByA.addAll(drain(a));
            readByB.addAll(drain(b));
            assertThat(a.slots()).hasSize(8);
            assertThat(b.slots()).hasSize(8);
        });
        // a read everything alone before b joined; b then read its slots from their start
        assertThat(readByA.stream().map(StoredRecord::position).distinct().count()).isEqualTo(41);
        assertThat(readByB).isNotEmpty().allSatisfy(record -> {
            assertThat(record.defect()).isEmpty();
            assertThat(b.slots()).contains(io.streamable.Slots.slotOf(record.shardingKey(), 16));
        });
        long expected = IntStream.rangeClosed(2, 41)
                .filter(i -> b.slots().contains(io.streamable.Slots.slotOf("old-" + i, 16))).count()
                + (b.slots().contains(io.streamable.Slots.slotOf("first", 16)) ? 1 : 0);
        assertThat(readByB).hasSize((int) expected);
    }

    @Test
    @DisplayName("an exclusive reader is refused while the group lives, takes the name once the paused group's"
            + " lease expired, starts after the group's lowest committed slot, and fences the old members")
    void exclusiveReaderFencesTheGroup() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("exclusive");
        store.append(IntStream.range(0, 10).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        GroupMemberReader member = join(connection, "exclusive", StartFrom.beginning());
        drain(member);
        member.commit(Position.of(7));
        TopicStore elsewhere = connect().backend().topic("exclusive");
        assertThatThrownBy(() -> elsewhere.openReader(ReaderSpec.named("workers", StartFrom.beginning())))
                .isInstanceOf(ConsumerNameInUseException.class);

        ((MongoRedisBackend) connection.backend()).suspendOwnership();
        var reader = await().atMost(Duration.ofSeconds(15)).ignoreException(ConsumerNameInUseException.class)
                .until(() -> elsewhere.openReader(ReaderSpec.named("workers", StartFrom.beginning())), r -> true);
        open.add(reader);

        assertThat(reader.startPosition()).contains(Position.of(7));
        assertThat(reader.read(100, Duration.ZERO).records()).extracting(StoredRecord::position)
                .containsExactly(Position.of(8), Position.of(9), Position.of(10));
        assertThatThrownBy(() -> member.commit(Position.of(10))).isInstanceOf(ConsumerFencedException.class)
                .hasMessageContaining("taken over");
    }

    @Test
    @DisplayName("a member's lag counts the records of its slots after the greater of their committed offset and"
            + " the handled position; 0 once handled")
    void lagOfAMember() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("lag");
        store.append(IntStream.range(0, 30).mapToObj(i -> record("key-" + i, "v" + i)).toList()).get();
        GroupMemberReader member = join(connection, "lag", StartFrom.beginning());

        assertThat(member.lag(Optional.empty())).isEqualTo(30);
        assertThat(member.lag(Optional.of(Position.of(10)))).isEqualTo(20);
        member.commit(Position.of(25));
        assertThat(member.lag(Optional.of(Position.of(10)))).isEqualTo(5);
        assertThat(member.lag(Optional.of(Position.of(30)))).isZero();
    }

    @Test
    @DisplayName("the lag of a member that owns part of the slots counts only its slots' records, compacted"
            + " stubs excluded")
    void lagOfAPartialMember() throws Exception {
        Streamable connection = connect();
        TopicStore store = connection.backend().topic("partial-lag");
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // every key twice with one compaction id: the first of each pair becomes a stub
            records.add(new AppendRecord("key-" + (i % 20), Optional.of("state"), Map.of(),
                    ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        store.append(records).get();
        GroupMemberReader a = join(connection, "partial-lag", StartFrom.beginning());
        GroupMemberReader b = join(connect(), "partial-lag", StartFrom.beginning());
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            a.read(1, Duration.ofMillis(20)); // runs the rebalance, hands out at most one record
            b.read(1, Duration.ofMillis(20));
            assertThat(a.slots()).hasSize(8);
            assertThat(b.slots()).hasSize(8);
        });
        long keysOfB = IntStream.range(0, 20).filter(k -> b.slots().contains(io.streamable.Slots.slotOf("key-" + k, 16)))
                .count();

        assertThat(b.lag(Optional.empty())).as("b's keys, each once: the superseded records are stubs")
                .isEqualTo(keysOfB);
        assertThat(a.lag(Optional.empty()) + b.lag(Optional.empty())).isEqualTo(20);
    }
}
