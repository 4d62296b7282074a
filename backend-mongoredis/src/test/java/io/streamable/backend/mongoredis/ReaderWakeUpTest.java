package io.streamable.backend.mongoredis;

import com.mongodb.client.model.Filters;
import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How an exclusive reader at the head wakes up: signals naming a head it already returned cost no
 * query, a signalled look reads exactly up to the head named (and never past a missing id), and a
 * Redis subscription that is down shortens the safety poll.
 */
class ReaderWakeUpTest {
    private String database;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void database() {
        database = TestServers.freshDatabase();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    /** A connection without Redis and with a safety poll far away: only explicit signals wake its readers. */
    private MongoTopicStore quietTopic(String topic) {
        return (MongoTopicStore) connect("none", "safetyPoll=10m").backend().topic(topic);
    }

    private Streamable connect(String redis, String... options) {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), redis, database, options));
        open.add(streamable);
        return streamable;
    }

    private static List<AppendRecord> records(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> new AppendRecord("k", Optional.empty(), Map.of(),
                ("m" + i).getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static List<Long> positions(ReadBatch batch) {
        return batch.records().stream().map(StoredRecord::position).map(Position::offset).toList();
    }

    @Test
    @DisplayName("a signal naming a head the reader has already returned runs no query; a newer head does")
    void signalAtTheHeadIsSkipped() throws Exception {
        MongoTopicStore store = quietTopic("skip");
        store.append(records(1, 3)).get();
        try (MongoTopicReader reader = (MongoTopicReader) store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(positions(reader.read(10, Duration.ZERO))).containsExactly(1L, 2L, 3L);
            // id 4 written behind every signal's back (no Redis, another program): only a query finds it
            Document copy = store.collection().find(Filters.eq(MongoTopicStore.ID, 3L)).first();
            copy.put(MongoTopicStore.ID, 4L);
            store.collection().insertOne(copy);

            reader.signal(3); // our own append's and Redis' signal for one head: the second finds nothing new
            assertThat(reader.read(10, Duration.ofMillis(300)).records()).isEmpty();

            reader.signal(4);
            assertThat(positions(reader.read(10, Duration.ofSeconds(20)))).containsExactly(4L);
            // a signal without a head (a resubscription) always looks
            copy.put(MongoTopicStore.ID, 5L);
            store.collection().insertOne(copy);
            reader.signal();
            assertThat(positions(reader.read(10, Duration.ofSeconds(20)))).containsExactly(5L);
        }
    }

    @Test
    @DisplayName("a signalled look reads the ids up to the head named, in order, and never past a missing one")
    void signalledLookIsBoundedAndDense() throws Exception {
        MongoTopicStore store = quietTopic("bounded");
        try (MongoTopicReader reader = (MongoTopicReader) store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).isEmpty();
            // written by a connection whose appends signal nobody here
            connect("none").backend().topic("bounded").append(records(1, 12)).get();

            reader.signal(5);
            ReadBatch upToFive = reader.read(20, Duration.ofSeconds(20));
            assertThat(positions(upToFive)).containsExactly(1L, 2L, 3L, 4L, 5L);

            // id 8 not visible (claimed by a writer, not yet seen by this snapshot): the reader stops before it
            Document eight = store.collection().findOneAndDelete(Filters.eq(MongoTopicStore.ID, 8L));
            reader.signal(10);
            assertThat(positions(reader.read(20, Duration.ofSeconds(20)))).containsExactly(6L, 7L);
            assertThat(reader.read(20, Duration.ZERO).records()).isEmpty();

            store.collection().insertOne(eight);
            List<Long> rest = new ArrayList<>();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                rest.addAll(positions(reader.read(20, Duration.ofMillis(200))));
                assertThat(rest).endsWith(12L);
            });
            assertThat(rest).containsExactly(8L, 9L, 10L, 11L, 12L);
        }
    }

    @Test
    @DisplayName("while the Redis subscription is down a waiting reader polls every quarter second, not every safety poll")
    void shortPollWhileRedisIsDown() throws Exception {
        // a Redis nobody listens on: the subscription never comes up
        Streamable consuming = connect("redis://127.0.0.1:" + TestServers.freePort(), "safetyPoll=10m");
        MongoRedisBackend backend = (MongoRedisBackend) consuming.backend();
        assertThat(backend.signalsDown()).isTrue();
        TopicStore store = backend.topic("down");
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).isEmpty();
            CompletableFuture<ReadBatch> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return reader.read(10, Duration.ofSeconds(60));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            connect("none").backend().topic("down").append(records(1, 1)).get();
            // within the 60 s wait, far below the 10 minute safety poll
            assertThat(positions(read.get(20, TimeUnit.SECONDS))).containsExactly(1L);
        }
    }

    @Test
    @DisplayName("a Redis signal's message is the head it names; anything else names none")
    void headOfSignal() {
        assertThat(RedisSignals.headOf("42")).isEqualTo(42L);
        assertThat(RedisSignals.headOf("-1")).isEqualTo(-1L);
        assertThat(RedisSignals.headOf(RedisSignals.PROTOTYPE_MESSAGE)).isEqualTo(-1L);
        assertThat(RedisSignals.headOf("-7")).isEqualTo(-1L);
    }
}
