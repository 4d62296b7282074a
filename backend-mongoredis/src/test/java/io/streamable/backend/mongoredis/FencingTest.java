package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Leases with epochs, expiry by the server's clock, fenced commits, and start points that stick. */
class FencingTest {
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        raw.close();
    }

    private TopicStore store(String topic) {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, "leaseTtl=800ms"));
        open.add(streamable);
        return streamable.backend().topic(topic);
    }

    private TopicReader named(TopicStore store, String name, StartFrom start) {
        TopicReader reader = store.openReader(ReaderSpec.named(name, start));
        open.add(reader);
        return reader;
    }

    private MongoCollection<Document> bookkeeping(String collection) {
        return raw.getDatabase(database).getCollection(collection);
    }

    private static AppendRecord record(String payload) {
        return new AppendRecord("k", Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("a holder paused past its lease is taken over with a higher epoch; its reads and commits are then"
            + " refused, records waiting or not, and its commit saves nothing")
    void pausedHolderIsFenced() throws Exception {
        TopicStore first = store("fenced");
        first.append(List.of(record("1"), record("2"))).get();
        MongoTopicReader paused = (MongoTopicReader) named(first, "worker", StartFrom.beginning());
        assertThat(paused.read(10, Duration.ZERO).records()).hasSize(2);
        paused.commit(Position.of(1));
        paused.suspendOwnership();

        TopicReader successor = named(store("fenced"), "worker", StartFrom.beginning());

        assertThat(successor.startPosition()).contains(Position.of(1));
        assertThat(bookkeeping(MongoRedisBackend.LEASES).find().first()).satisfies(lease -> {
            assertThat(lease.get("epoch")).isEqualTo(2L);
            assertThat(lease.get("renewedAt")).isNotNull();
        });
        first.append(List.of(record("3"))).get();
        assertThatThrownBy(() -> paused.read(10, Duration.ofSeconds(1))).isInstanceOf(ConsumerFencedException.class)
                .hasMessageContaining("\"worker\"").hasMessageContaining("epoch 1");
        assertThatThrownBy(() -> paused.commit(Position.of(3))).isInstanceOf(ConsumerFencedException.class);
        assertThat(first.savedPosition("worker")).contains(Position.of(1));

        assertThat(successor.read(10, Duration.ZERO).records()).extracting(StoredRecord::position)
                .containsExactly(Position.of(2), Position.of(3));
        successor.commit(Position.of(3));
        assertThat(first.savedPosition("worker")).contains(Position.of(3));
    }

    @Test
    @DisplayName("a commit of a holder whose position document carries a newer epoch is refused and saves nothing")
    void commitFiltersOnEpoch() throws Exception {
        TopicStore store = store("epochs");
        store.append(List.of(record("1"), record("2"))).get();
        TopicReader reader = named(store, "c", StartFrom.beginning());
        bookkeeping(MongoRedisBackend.POSITIONS).updateOne(Filters.eq("_id", "epochs/c"), Updates.inc("epoch", 1L));

        assertThatThrownBy(() -> reader.commit(Position.of(2))).isInstanceOf(ConsumerFencedException.class)
                .hasMessageContaining("position 2 was not saved");
        assertThat(store.savedPosition("c")).isEmpty();
    }

    @Test
    @DisplayName("epochs only grow: closing releases the lease without deleting it, the next holder gets epoch + 1")
    void epochsGrowAcrossCloses() throws Exception {
        TopicStore store = store("releases");
        for (int i = 1; i <= 3; i++) {
            TopicReader reader = store.openReader(ReaderSpec.named("c", StartFrom.beginning()));
            Document lease = bookkeeping(MongoRedisBackend.LEASES).find().first();
            assertThat(lease.get("epoch")).isEqualTo((long) i);
            assertThat(bookkeeping(MongoRedisBackend.POSITIONS).find().first().get("epoch")).isEqualTo((long) i);
            reader.close();
            assertThat(bookkeeping(MongoRedisBackend.LEASES).find().first().get("owner")).isNull();
        }
    }

    @Test
    @DisplayName("expiry is judged by the server's clock: a lease renewed by the server moments ago is waited for,"
            + " then taken over once it is older than its TTL, with the next epoch")
    void expiryByServerTime() throws Exception {
        TopicStore store = store("server-time");
        MongoCollection<Document> leases = bookkeeping(MongoRedisBackend.LEASES);
        // a holder in another process renewed at the server's "now", with a 600 ms TTL, then died
        leases.updateOne(Filters.eq("_id", "server-time/c"), Updates.combine(Updates.set("owner", "elsewhere"),
                Updates.set("epoch", 7L), Updates.set("ttlMs", 600L), Updates.currentDate("renewedAt")),
                new UpdateOptions().upsert(true));
        long started = System.nanoTime();

        named(store, "c", StartFrom.beginning());

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(leases.find().first().get("epoch")).isEqualTo(8L);
    }

    @Test
    @DisplayName("a lease its holder keeps renewing is not taken: ConsumerNameInUseException")
    void liveLeaseIsRefused() {
        TopicStore store = store("live");
        named(store, "c", StartFrom.beginning());

        assertThatThrownBy(() -> store("live").openReader(ReaderSpec.named("c", StartFrom.beginning())))
                .isInstanceOf(ConsumerNameInUseException.class);
    }

    @Test
    @DisplayName("a named reader saves its start at first use: closed before any commit, it resumes there, not at"
            + " a start given later")
    void startSavedAtFirstUse() throws Exception {
        TopicStore store = store("first-use");
        store.append(List.of(record("1"), record("2"), record("3"))).get();
        named(store, "late", StartFrom.after(Position.of(2))).close();
        named(store, "early", StartFrom.beginning()).close();

        assertThat(store.savedPosition("late")).contains(Position.of(2));
        assertThat(store.savedPosition("early")).as("nothing handled yet").isEmpty();
        assertThat(store.consumerNames()).contains("late", "early");

        TopicReader late = named(store, "late", StartFrom.beginning());
        assertThat(late.startPosition()).contains(Position.of(2));
        assertThat(late.read(10, Duration.ZERO).records()).extracting(StoredRecord::position)
                .containsExactly(Position.of(3));
        TopicReader early = named(store, "early", StartFrom.after(Position.of(3)));
        assertThat(early.startPosition()).isEmpty();
        assertThat(early.read(10, Duration.ZERO).records()).hasSize(3);
    }
}
