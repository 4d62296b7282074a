package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupMemberReader;
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
    private static List<StoredRecord> drain(GroupMemberReader member) throws InterruptedException {
        List<StoredRecord> all = new ArrayList<>();
        while (true) {
            var batch = member.read(100, Duration.ofMillis(50));
            all.addAll(batch.records());
            if (batch.caughtUp() && batch.records().isEmpty()) {
                return all;
            }
        }
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
}
