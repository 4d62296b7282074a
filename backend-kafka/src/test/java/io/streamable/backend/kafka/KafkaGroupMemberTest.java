package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Kafka consumer group members through the SPI, driven from the test thread so each step happens
 * in a known order: what the contract suite cannot see from outside (a paused member's refused
 * commit, the offsets a restart resumes from, a rebalance of the name's group that only concerns
 * another topic).
 */
class KafkaGroupMemberTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** A member that does not poll for this long is expired by its own heartbeat thread. */
    private static final int MAX_POLL_INTERVAL_MS = 3_000;

    private static Streamable open() {
        return Streamable.open(KafkaTestSupport.url("kafka.max.poll.interval.ms=" + MAX_POLL_INTERVAL_MS));
    }

    @Test
    @DisplayName("a member paused past max.poll.interval.ms is expelled: its commit is refused and saves nothing, its reads are fenced, and the member that took its partitions resumes after its last commit")
    void pausedMemberIsFenced() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("group-paused");
        try (Streamable first = open(); Streamable second = open()) {
            TopicStore store = first.backend().topic(topic);
            List<Position> appended = append(store, 0, 20);
            List<Rebalance> changes = new CopyOnWriteArrayList<>();
            GroupMemberReader paused = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), changes::add);
            assertThat(paused.slots()).as("alone, it owns every partition before joinGroup returns")
                    .hasSize(KafkaTestSupport.PARTITIONS);
            List<StoredRecord> read = readAtLeast(paused, 20);
            Position committed = merged(read.subList(0, 20));
            paused.commit(committed);

            GroupMemberReader successor = groups(second.backend().topic(topic))
                    .joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            assertThat(successor.slots()).as("beside a live member it owns nothing yet").isEmpty();
            ((KafkaBackend) first.backend()).suspendReaders();
            assertThat(paused.read(10, Duration.ofMillis(100)).records()).as("a suspended member reads nothing").isEmpty();
            List<StoredRecord> taken = new ArrayList<>();
            await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInSameThread().until(() -> {
                taken.addAll(successor.read(100, Duration.ofMillis(200)).records());
                return successor.slots().size() == KafkaTestSupport.PARTITIONS;
            });
            List<Position> later = append(store, 20, 8);
            appended.addAll(later);

            assertThatThrownBy(() -> paused.commit(merged(List.of(recordAt(later.get(7))))))
                    .isInstanceOf(ConsumerFencedException.class).hasMessageContaining("g");
            assertThat(store.savedPosition("g")).as("the expelled member's commit saved nothing").contains(committed);
            assertThatThrownBy(() -> paused.read(10, Duration.ZERO)).isInstanceOf(ConsumerFencedException.class);
            assertThat(changes).as("an expelled member's partitions are lost, not revoked: no barrier runs").isEmpty();

            taken.addAll(readAtLeast(successor, 8 - taken.size()));
            assertThat(taken).extracting(StoredRecord::position).as("after the paused member's last commit, nothing skipped")
                    .containsExactlyInAnyOrderElementsOf(later);
            paused.close();
            successor.close();
        }
    }

    @Test
    @DisplayName("a member paused past max.poll.interval.ms with nothing to commit is fenced by its own next read, without a poll (Kafka's groupMetadata() keeps the old generation until a join)")
    void idlePausedMemberIsFencedByItsRead() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("group-paused-idle");
        try (Streamable first = open()) {
            TopicStore store = first.backend().topic(topic);
            append(store, 0, 4);
            GroupMemberReader paused = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            readAtLeast(paused, 4);
            ((KafkaBackend) first.backend()).suspendReaders();
            AtomicBoolean fenced = new AtomicBoolean();
            await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInSameThread().until(() -> {
                try {
                    assertThat(paused.read(10, Duration.ofMillis(200)).records()).as("a suspended member reads nothing")
                            .isEmpty();
                } catch (ConsumerFencedException e) {
                    fenced.set(true);
                }
                return fenced.get();
            });
            assertThatThrownBy(() -> paused.read(10, Duration.ZERO)).as("it stays fenced")
                    .isInstanceOf(ConsumerFencedException.class);
            paused.close();
        }
    }

    @Test
    @DisplayName("two members split the partitions; the one that gives some up drains and commits in its listener; describeGroup shows members, owners, commits and lag; a restart resumes exactly after the commits")
    void shareDescribeAndResume() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("group-share");
        try (Streamable first = open(); Streamable second = open()) {
            TopicStore store = first.backend().topic(topic);
            List<Position> appended = append(store, 0, 40);
            List<StoredRecord> firstRead = new ArrayList<>();
            List<Rebalance> firstChanges = new CopyOnWriteArrayList<>();
            GroupMemberReader[] one = new GroupMemberReader[1];
            one[0] = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> {
                firstChanges.add(change);
                if (!change.revoked().isEmpty()) {
                    one[0].commit(merged(firstRead)); // the barrier: everything handed out is handled
                }
            });
            firstRead.addAll(readAtLeast(one[0], 40));
            List<Rebalance> secondChanges = new CopyOnWriteArrayList<>();
            GroupMemberReader two = groups(second.backend().topic(topic))
                    .joinGroup(ReaderSpec.named("g", StartFrom.beginning()), secondChanges::add);
            List<StoredRecord> secondRead = new ArrayList<>();
            await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInSameThread().until(() -> {
                firstRead.addAll(one[0].read(100, Duration.ofMillis(100)).records());
                secondRead.addAll(two.read(100, Duration.ofMillis(100)).records());
                return one[0].slots().size() == 2 && two.slots().size() == 2;
            });
            assertThat(firstChanges).as("the first member gave up two partitions, announced before").anySatisfy(change ->
                    assertThat(change.revoked()).hasSize(2));
            assertThat(firstChanges).allSatisfy(change -> assertThat(change.rewinds()).isFalse());
            assertThat(secondChanges).as("the second one was told what it takes").anySatisfy(change ->
                    assertThat(change.assigned()).containsExactlyInAnyOrderElementsOf(two.slots()));
            assertThat(secondRead).as("it starts after the first member's commit: nothing read twice").isEmpty();

            List<Position> later = append(store, 40, 40);
            await().atMost(TIMEOUT).pollDelay(Duration.ZERO).pollInSameThread().until(() -> {
                firstRead.addAll(one[0].read(100, Duration.ofMillis(100)).records());
                secondRead.addAll(two.read(100, Duration.ofMillis(100)).records());
                return firstRead.size() + secondRead.size() >= 80;
            });
            assertThat(secondRead).extracting(record -> record.position().offsets().firstKey())
                    .as("each member reads only its partitions").allMatch(two.slots()::contains);
            List<StoredRecord> firstLater = firstRead.subList(40, firstRead.size());
            one[0].commit(merged(firstLater.subList(0, firstLater.size() / 2 + 1)));
            two.commit(merged(secondRead));

            GroupDescription description = groups(store).describeGroup("g").orElseThrow();
            assertThat(description.slotCount()).isEqualTo(KafkaTestSupport.PARTITIONS);
            assertThat(description.members()).extracting(GroupDescription.Member::memberId)
                    .as("oldest first").containsExactly(one[0].memberId(), two.memberId());
            assertThat(description.members()).extracting(GroupDescription.Member::slots)
                    .containsExactly(one[0].slots(), two.slots());
            long unhandled = firstLater.size() - (firstLater.size() / 2 + 1);
            assertThat(description.slots().stream().mapToLong(GroupDescription.SlotState::lag).sum())
                    .as("lag: what the first member has not committed").isEqualTo(unhandled);
            assertThat(one[0].lag(Optional.empty())).isEqualTo(unhandled);
            assertThat(two.lag(Optional.empty())).isZero();
            description.slots().forEach(slot -> assertThat(slot.owner()).isPresent());
            assertThat(groups(store).describeGroup("nobody")).isEmpty();

            two.close();
            one[0].close();
            Position saved = store.savedPosition("g").orElseThrow();
            try (GroupMemberReader resumed = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), c -> { })) {
                assertThat(resumed.startPosition()).contains(saved);
                List<StoredRecord> again = readAtLeast(resumed, (int) unhandled);
                Set<Position> expected = new HashSet<>(later);
                secondRead.forEach(record -> expected.remove(record.position()));
                firstLater.subList(0, firstLater.size() / 2 + 1).forEach(record -> expected.remove(record.position()));
                assertThat(again).extracting(StoredRecord::position).as("exactly what was not committed")
                        .containsExactlyInAnyOrderElementsOf(expected);
                assertThat(resumed.read(10, Duration.ofMillis(300)).records()).isEmpty();
            }
            assertThat(appended).hasSize(40);
        }
    }

    @Test
    @DisplayName("one name on two topics is one Kafka group: a member joining and leaving on the other topic revokes nothing here, so no drain")
    void otherTopicRebalanceChangesNothingHere() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("shared");
        try (Streamable streamable = open()) {
            TopicStore here = streamable.backend().topic(KafkaTestSupport.uniqueTopic("group-here"));
            TopicStore there = streamable.backend().topic(KafkaTestSupport.uniqueTopic("group-there"));
            List<Rebalance> changes = new CopyOnWriteArrayList<>();
            List<StoredRecord> read = new CopyOnWriteArrayList<>();
            GroupMemberReader member = groups(here).joinGroup(ReaderSpec.named(name, StartFrom.beginning()), changes::add);
            Set<Integer> owned = new TreeSet<>(member.slots());
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
                try {
                    while (!stop.get()) {
                        read.addAll(member.read(100, Duration.ofMillis(100)).records());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                GroupMemberReader other = groups(there).joinGroup(ReaderSpec.named(name, StartFrom.beginning()), c -> { });
                assertThat(other.slots()).hasSize(KafkaTestSupport.PARTITIONS);
                List<Position> appended = append(here, 0, 10);
                await().atMost(TIMEOUT).until(() -> read.size() == 10);
                other.close();
                append(here, 10, 10);
                await().atMost(TIMEOUT).until(() -> read.size() == 20);
                assertThat(read.subList(0, 10)).extracting(StoredRecord::position).containsExactlyInAnyOrderElementsOf(appended);
            } finally {
                stop.set(true);
                reading.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            assertThat(changes).as("no barrier ran: nothing here was revoked or assigned").isEmpty();
            assertThat(member.slots()).isEqualTo(owned);
            member.close();
        }
    }

    @Test
    @DisplayName("a member whose committed offsets retention removed reports one gap per partition, from the committed offset to the log start, and reads exactly every record kept")
    void committedBelowLogStart() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("group-retention");
        int partitions = KafkaTestSupport.PARTITIONS;
        try (Streamable connection = open()) {
            // deleteRecords needs cleanup.policy delete, which a retention gives the topic
            connection.configureTopic(topic, Retention.maxAge(Duration.ofDays(1)));
            TopicStore store = connection.backend().topic(topic);
            Map<Integer, String> keyOf = new HashMap<>();
            for (int i = 0; keyOf.size() < partitions; i++) {
                keyOf.putIfAbsent(KafkaTopicStore.partitionFor("key-" + i, partitions), "key-" + i);
            }
            List<AppendRecord> records = new ArrayList<>();
            for (int seq = 0; seq < 10; seq++) {
                for (String key : keyOf.values()) {
                    records.add(new AppendRecord(key, Optional.empty(), Map.of(), ("\"" + seq + "\"").getBytes(StandardCharsets.UTF_8)));
                }
            }
            store.append(records).get(30, TimeUnit.SECONDS);

            // the group handled offsets 0 and 1 of every partition, then went away
            GroupMemberReader first = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            readAtLeast(first, 10 * partitions);
            Map<Integer, Long> handled = new HashMap<>();
            keyOf.keySet().forEach(partition -> handled.put(partition, 1L));
            first.commit(Position.of(handled));
            first.close();
            Map<TopicPartition, RecordsToDelete> removal = new HashMap<>();
            keyOf.keySet().forEach(partition -> removal.put(new TopicPartition(topic, partition), RecordsToDelete.beforeOffset(6)));
            ((KafkaBackend) connection.backend()).admin().deleteRecords(removal).all().get(30, TimeUnit.SECONDS);

            GroupMemberReader second = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            List<StoredRecord> kept = new ArrayList<>();
            List<RetentionGap> gaps = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (kept.size() < 4 * partitions && System.nanoTime() < deadline) {
                kept.addAll(second.read(100, Duration.ofMillis(300)).records());
                gaps.addAll(second.takeRetentionGaps());
            }
            List<String> expected = new ArrayList<>();
            keyOf.keySet().forEach(partition -> IntStream.rangeClosed(6, 9).forEach(offset -> expected.add(partition + ":" + offset)));
            assertThat(kept).extracting(record -> record.position().offsets().firstKey() + ":"
                    + record.position().offsets().get(record.position().offsets().firstKey())).as("offsets 6-9 of every partition, each once")
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(gaps).as("one gap per partition, reported once")
                    .containsExactlyInAnyOrderElementsOf(keyOf.keySet().stream()
                            .map(partition -> new RetentionGap(topic, partition, 2, 6)).toList());
            second.close();
        }
    }

    @Test
    @DisplayName("a member that takes over partitions whose committed offset is their log start is not caught up"
            + " before it read what they hold, also when the read that gave them to it fetched nothing yet")
    void takenOverPartitionsAreNotCaughtUpBeforeRead() throws Exception {
        String topic = KafkaTestSupport.uniqueTopic("group-takeover-head");
        // the successor's fetches wait on the broker for up to 5 s (for 10 MB that never come), so its reads
        // right after the rebalance return no record: only its view of the partitions' ends says whether it is at head
        String slowFetches = "&kafka.consumer.fetch.min.bytes=10000000&kafka.consumer.fetch.max.wait.ms=5000";
        // the holder is not polled while the test goes on: a poll interval long enough for a loaded machine
        try (Streamable first = Streamable.open(KafkaTestSupport.url("kafka.max.poll.interval.ms=60000"));
             Streamable second = Streamable.open(KafkaTestSupport.url("kafka.max.poll.interval.ms=60000" + slowFetches))) {
            TopicStore store = first.backend().topic(topic);
            List<Position> appended = append(store, 0, 12);
            TopicStore secondStore = second.backend().topic(topic);
            // starting at the beginning, the holder saves the log start as the group's offsets
            GroupMemberReader holder = groups(store).joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            GroupMemberReader successor = groups(secondStore)
                    .joinGroup(ReaderSpec.named("g", StartFrom.beginning()), change -> { });
            assertThat(successor.slots()).as("beside a live member it owns nothing yet").isEmpty();
            holder.close();

            List<StoredRecord> read = new ArrayList<>();
            boolean emptyReadAfterTakeOver = false;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                ReadBatch batch = successor.read(100, Duration.ofMillis(300));
                read.addAll(batch.records());
                boolean ownsAll = successor.slots().size() == KafkaTestSupport.PARTITIONS;
                emptyReadAfterTakeOver |= ownsAll && batch.records().isEmpty() && read.isEmpty();
                if (batch.caughtUp()) {
                    assertThat(read).extracting(StoredRecord::position).as("what the member had read when it said it"
                            + " was caught up (owning %s)", successor.slots()).containsExactlyInAnyOrderElementsOf(appended);
                    break;
                }
            }
            assertThat(read).as("read within %s", TIMEOUT).hasSize(appended.size());
            assertThat(emptyReadAfterTakeOver).as("a read after the take-over returned no record (the case under test)")
                    .isTrue();
            successor.close();
        }
    }

    private static ConsumerGroups groups(TopicStore store) {
        return (ConsumerGroups) store;
    }

    private static List<Position> append(TopicStore store, int from, int count) throws Exception {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(new AppendRecord("key-" + i, Optional.empty(), Map.of(),
                    ("\"" + i + "\"").getBytes(StandardCharsets.UTF_8)));
        }
        return new ArrayList<>(store.append(records).get(30, TimeUnit.SECONDS));
    }

    /** The position covering {@code records}: per partition, the highest offset among them. */
    private static Position merged(List<StoredRecord> records) {
        Map<Integer, Long> offsets = new HashMap<>();
        records.forEach(record -> record.position().offsets().forEach((partition, offset) ->
                offsets.merge(partition, offset, Math::max)));
        return Position.of(offsets);
    }

    private static StoredRecord recordAt(Position position) {
        return new StoredRecord(position, java.time.Instant.now(), "k", Optional.empty(), Map.of(), new byte[0]);
    }

    /** Reads exactly {@code count} records (never more), within 30 s. */
    private static List<StoredRecord> readAtLeast(GroupMemberReader reader, int count) throws InterruptedException {
        List<StoredRecord> records = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            records.addAll(reader.read(count - records.size(), Duration.ofMillis(300)).records());
        }
        assertThat(records).hasSize(count);
        return records;
    }
}
