package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import io.streamable.Position;
import io.streamable.StreamableException;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The append and compaction invariant of the README: the stored ids are always exactly
 * {@code 1..max}, compaction only turns records into stubs, and a reader that finds storage lost
 * what it passed says so.
 */
class DenseIdsTest {
    private String database;
    private MongoClient raw;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void database() {
        database = TestServers.freshDatabase();
        raw = MongoClients.create(TestServers.mongoUri());
        open.add(raw);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Streamable connect(String... options) {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, options));
        open.add(streamable);
        return streamable;
    }

    private MongoCollection<Document> rawTopic(String topic) {
        return raw.getDatabase(database).getCollection(topic);
    }

    private static AppendRecord record(String key, String payload) {
        return new AppendRecord(key, Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static AppendRecord compacted(String key, String id, String payload) {
        return new AppendRecord(key, Optional.of(id), Map.of("h", "v"), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(StoredRecord record) {
        return new String(record.payload(), StandardCharsets.UTF_8);
    }

    private static Map<Long, String> byPosition(List<StoredRecord> records) {
        Map<Long, String> result = new java.util.LinkedHashMap<>();
        records.forEach(record -> result.put(record.position().offset(), text(record)));
        return result;
    }

    private static List<StoredRecord> readAll(TopicStore store) throws InterruptedException {
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            List<StoredRecord> all = new ArrayList<>();
            ReadBatch batch;
            do {
                batch = reader.read(100, Duration.ZERO);
                all.addAll(batch.records());
            } while (!batch.caughtUp());
            return all;
        }
    }

    @Test
    @DisplayName("issue 11's four steps on two connections: the append after compaction gets a position above every"
            + " one a reader passed, and the live reader receives it")
    void fourStepSequence() throws Exception {
        TopicStore a = connect().backend().topic("four-steps");
        TopicStore b = connect().backend().topic("four-steps");

        assertThat(b.append(List.of(record("b", "b1"))).get()).containsExactly(Position.of(1));
        assertThat(a.append(List.of(compacted("x", "X", "x-v1"), compacted("x", "X", "x-v2"))).get())
                .containsExactly(Position.of(2), Position.of(3));
        try (TopicReader live = connect().backend().topic("four-steps")
                .openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(byPosition(live.read(10, Duration.ZERO).records())).containsExactly(
                    Map.entry(1L, "b1"), Map.entry(3L, "x-v2"));

            // b's cached head is 1 and id 2 is a stub: the claim must land above 3
            List<Position> b2 = b.append(List.of(record("b", "b2"))).get();

            assertThat(b2).containsExactly(Position.of(4));
            assertThat(byPosition(live.read(10, Duration.ofSeconds(10)).records())).containsExactly(Map.entry(4L, "b2"));
        }
        assertThat(b.lag(Optional.of(Position.of(4)))).isZero();
        assertThat(byPosition(readAll(a))).containsExactly(Map.entry(1L, "b1"), Map.entry(3L, "x-v2"),
                Map.entry(4L, "b2"));
    }

    @Test
    @DisplayName("the four steps with b's second append carrying the same key and logCompactId: the newest version"
            + " lands above the older one and a fold from the beginning ends on it")
    void fourStepSequenceWithCompactionId() throws Exception {
        TopicStore a = connect().backend().topic("four-steps-x");
        TopicStore b = connect().backend().topic("four-steps-x");
        b.append(List.of(record("b", "b1"))).get();
        a.append(List.of(compacted("x", "X", "x-v1"), compacted("x", "X", "x-v2"))).get();

        assertThat(b.append(List.of(compacted("x", "X", "x-v3"))).get()).containsExactly(Position.of(4));

        List<StoredRecord> all = readAll(a);
        assertThat(byPosition(all)).containsExactly(Map.entry(1L, "b1"), Map.entry(4L, "x-v3"));
        String folded = null;
        for (StoredRecord record : all) {
            if (record.logCompactId().equals(Optional.of("X"))) {
                folded = text(record);
            }
        }
        assertThat(folded).isEqualTo("x-v3");
    }

    @Test
    @DisplayName("compaction turns superseded records into stubs that keep _id, key and createdAt, and only within"
            + " one sharding key and logCompactId")
    void stubsKeepTheirIds() throws Exception {
        TopicStore store = connect().backend().topic("stubs");
        store.append(List.of(compacted("k1", "X", "k1-v1"), compacted("k2", "X", "k2-v1"), record("k1", "plain"),
                compacted("k1", "Y", "k1-y1"))).get();
        store.append(List.of(compacted("k1", "X", "k1-v2"))).get();

        List<Document> documents = rawTopic("stubs").find().sort(Sorts.ascending("_id")).into(new ArrayList<>());
        assertThat(documents).extracting(document -> document.get("_id")).containsExactly(1L, 2L, 3L, 4L, 5L);
        Document stub = documents.get(0);
        assertThat(stub.getBoolean("compacted")).isTrue();
        assertThat(stub.getString("shardingKey")).isEqualTo("k1");
        assertThat(stub.getDate("createdAt")).isNotNull();
        assertThat(stub.keySet()).doesNotContain("payload", "headers", "logCompactId");
        assertThat(documents.subList(1, 5)).allSatisfy(document -> assertThat(document.get("compacted")).isNull());

        assertThat(byPosition(readAll(store))).containsExactly(Map.entry(2L, "k2-v1"), Map.entry(3L, "plain"),
                Map.entry(4L, "k1-y1"), Map.entry(5L, "k1-v2"));
        assertThat(store.lag(Optional.empty())).as("stubs are not counted").isEqualTo(4);
        assertThat(store.lag(Optional.of(Position.of(1)))).isEqualTo(4);
        assertThat(store.head()).contains(Position.of(5));
    }

    @Test
    @DisplayName("4 connections appending with 3 logCompactIds and without: ids are exactly 1..N, each given once,"
            + " and a reader sees every plain record and the newest of every key and id")
    void denseUnderConcurrentCompaction() throws Exception {
        int connections = 4;
        int appends = 60;
        List<TopicStore> stores = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            stores.add(connect().backend().topic("dense"));
        }
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        Map<Long, String> given = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            TopicStore store = stores.get(c);
            int connection = c;
            done.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < appends; i++) {
                    String payload = "c" + connection + "-" + i;
                    AppendRecord record = i % 3 == 0 ? record("k" + connection, payload)
                            : compacted("k" + (i % 2), "id" + (i % 3), payload);
                    for (Position position : store.append(List.of(record)).get()) {
                        assertThat(given.put(position.offset(), payload)).as("position given twice").isNull();
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> future : done) {
            future.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        long total = (long) connections * appends;
        assertThat(given.keySet()).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
        assertThat(rawTopic("dense").countDocuments()).isEqualTo(total);
        Map<String, Long> newest = new HashMap<>();
        List<StoredRecord> read = readAll(stores.get(0));
        for (StoredRecord record : read) {
            record.logCompactId().ifPresent(id -> newest.merge(record.shardingKey() + "/" + id,
                    record.position().offset(), (x, y) -> {
                        throw new AssertionError("two survivors for " + record.shardingKey() + "/" + id);
                    }));
        }
        assertThat(newest).hasSize(4); // keys k0/k1 x ids id1/id2
        assertThat(read.stream().filter(record -> record.logCompactId().isEmpty())).hasSize(connections * appends / 3);
    }

    @Test
    @DisplayName("a reader whose passed position vanished (collection dropped and written anew) stops with an error"
            + " saying storage lost data, instead of skipping or re-reading new messages under old positions")
    void lostPositionIsReported() throws Exception {
        TopicStore store = connect().backend().topic("lost");
        store.append(List.of(record("k", "1"), record("k", "2"), record("k", "3"))).get();
        try (TopicReader reader = connect().backend().topic("lost")
                .openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).hasSize(3);
            rawTopic("lost").drop();
            TopicStore fresh = connect().backend().topic("lost");
            fresh.append(List.of(record("k", "new-1"))).get();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThatThrownBy(() -> {
                        List<StoredRecord> wrong = reader.read(10, Duration.ofMillis(200)).records();
                        assertThat(wrong).as("nothing is delivered from the new log").isEmpty();
                    }).isInstanceOf(StreamableException.class)
                    .hasMessageContaining("position 3, which this reader already returned")
                    .hasMessageContaining("storage lost data"));
        }
    }

    @Test
    @DisplayName("a gap in the ids that does not close is reported as lost data, naming the missing position")
    void gapIsReported() throws Exception {
        TopicStore store = connect().backend().topic("gap");
        store.append(List.of(record("k", "1"))).get();
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).hasSize(1);
            // another program (or a restore) leaves id 2 empty
            rawTopic("gap").insertOne(new Document("_id", 3L).append("shardingKey", "k"));

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThatThrownBy(() -> {
                        assertThat(reader.read(10, Duration.ofMillis(200)).records()).isEmpty();
                    }).isInstanceOf(StreamableException.class)
                    .hasMessageContaining("after position 1 the next stored _id is 3, so position 2 is missing"));
        }
    }

    @Test
    @DisplayName("after MongoDB restarts with an empty database, producers claim from 1 again, not from their cached head")
    void restartOnEmptyDatabase() throws Exception {
        try (TestServers.EmbeddedMongo mongo = TestServers.startMongo()) {
            Streamable streamable = Streamable.open(TestServers.urlFor(mongo.uri(), "none", database));
            open.add(streamable);
            TopicStore store = streamable.backend().topic("restart");
            for (int i = 0; i < 5; i++) {
                store.append(List.of(record("k", "old-" + i))).get();
            }

            mongo.restartEmpty();

            List<Position> positions = await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> store.append(List.of(record("k", "new"))).get(10, TimeUnit.SECONDS), p -> true);
            assertThat(positions).containsExactly(Position.of(1));
            assertThat(store.head()).contains(Position.of(1));
        }
    }

    @Test
    @DisplayName("every id the appends took stays taken: the set of stored ids equals 1..head after compaction")
    void idsStayTaken() throws Exception {
        TopicStore store = connect().backend().topic("taken");
        for (int i = 0; i < 20; i++) {
            store.append(List.of(compacted("k", "only", "v" + i))).get();
        }
        Set<Object> ids = new java.util.HashSet<>();
        rawTopic("taken").find().forEach(document -> ids.add(document.get("_id")));
        assertThat(ids).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
        assertThat(byPosition(readAll(store))).containsExactly(Map.entry(20L, "v19"));
        assertThat(store.lag(Optional.empty())).isEqualTo(1);
    }
}
