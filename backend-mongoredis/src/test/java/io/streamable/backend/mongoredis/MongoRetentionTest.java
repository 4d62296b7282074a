package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.StreamableException;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.awaitility.Awaitility;
import org.bson.Document;
import org.bson.types.Binary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The MongoDB side of retention: the low-water mark is written before the prefix goes, the newest
 * document and the ids above the mark stay (so the next claim is above every id handed out), a
 * hole above the mark is still reported as lost data, and the time search over {@code _id} is
 * exact with producers' clocks out of step (raw documents with jittered {@code createdAt}).
 */
class MongoRetentionTest {
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(),
            TestServers.redisUri(), database));

    @AfterEach
    void close() {
        streamable.close();
        raw.close();
    }

    private static AppendRecord record(int n) {
        return new AppendRecord("k", Optional.empty(), Map.of(), ("\"" + n + "\"").getBytes(StandardCharsets.UTF_8));
    }

    private static void append(TopicStore store, int first, int last) throws Exception {
        List<AppendRecord> records = new ArrayList<>();
        for (int n = first; n <= last; n++) {
            records.add(record(n));
        }
        store.append(records).get();
    }

    private List<Long> ids(String topic) {
        List<Long> ids = new ArrayList<>();
        raw.getDatabase(database).getCollection(topic).find().sort(new Document("_id", 1))
                .forEach(document -> ids.add(((Number) document.get("_id")).longValue()));
        return ids;
    }

    @Test
    @DisplayName("removal by count writes the low-water mark, keeps the ids from it to the head dense, and the next append"
            + " claims after the head")
    void markThenPrefix() throws Exception {
        TopicStore store = streamable.backend().topic("counted");
        append(store, 1, 20);
        store.setRetention(Retention.maxMessages(5));

        Document settings = raw.getDatabase(database).getCollection(MongoRedisBackend.RETENTION)
                .find(Filters.eq("_id", "counted")).first();
        assertThat(settings).isNotNull();
        assertThat(settings.get(MongoRetention.REMOVED_BELOW)).isEqualTo(16L);
        assertThat(settings.get("maxMessages")).isEqualTo(5L);
        assertThat(ids("counted")).isEqualTo(LongStream.rangeClosed(16, 20).boxed().toList());
        assertThat(store.append(List.of(record(21))).get()).containsExactly(Position.of(21));
        assertThat(store.lag(Optional.of(Position.of(3)))).as("lag counts what is stored").isEqualTo(6);
        assertThat(store.describeTopic().oldest()).contains(Position.of(16));

        store.setRetention(Retention.maxMessages(1));
        assertThat(ids("counted")).as("never the newest document").containsExactly(21L);
    }

    @Test
    @DisplayName("a connection that last appended long ago, before another connection's appends and a removal passed"
            + " its last id, appends after the head, not into the removed prefix where no reader would see it")
    void staleAppenderClaimsAfterTheHead() throws Exception {
        try (Streamable other = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database))) {
            TopicStore stale = streamable.backend().topic("stale");
            TopicStore busy = other.backend().topic("stale");
            append(stale, 1, 1); // this connection now knows id 1 as the head
            append(busy, 2, 20);
            busy.setRetention(Retention.maxMessages(5)); // removes 1..15
            assertThat(ids("stale")).isEqualTo(LongStream.rangeClosed(16, 20).boxed().toList());

            List<Position> positions = stale.append(List.of(record(21))).get();

            assertThat(positions).as("the append is placed after every id handed out").containsExactly(Position.of(21));
            try (TopicReader reader = busy.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                assertThat(readUntil(reader, 6)).extracting(StoredRecord::position)
                        .as("a reader from the beginning receives the acknowledged append")
                        .contains(Position.of(21));
            }
        }
    }

    /** Both connections' stores of a topic with removal delay {@code delay} and a hand-driven ticker on the first. */
    private static MongoTopicStore delayed(TopicStore store, Duration delay) {
        MongoTopicStore mongo = (MongoTopicStore) store;
        mongo.retentionPolicy().removalDelay(delay);
        return mongo;
    }

    @Test
    @DisplayName("with a removal delay a stale appender loses the race to the records still stored below the mark and"
            + " claims after the head, without a mark read of its own within the delay")
    void staleAppenderWithinTheRemovalDelay() throws Exception {
        try (Streamable other = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database))) {
            AtomicLong ticker = new AtomicLong();
            MongoTopicStore stale = delayed(streamable.backend().topic("staledelay"), Duration.ofHours(1));
            MongoTopicStore busy = delayed(other.backend().topic("staledelay"), Duration.ofHours(1));
            stale.ticker(ticker::get);
            append(stale, 1, 1); // knows id 1 as the head and the mark 1, observed at tick 0
            assertThat(stale.markReads()).isEqualTo(1);
            append(busy, 2, 20);
            busy.setRetention(Retention.maxMessages(5)); // mark 16; the removal waits for the delay
            assertThat(ids("staledelay")).as("nothing removed before the delay").hasSize(20);

            List<Position> positions = stale.append(List.of(record(21))).get();

            assertThat(positions).containsExactly(Position.of(21));
            assertThat(stale.markReads()).as("within the delay the mark seen before is trusted").isEqualTo(1);
            try (TopicReader reader = busy.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                // the prefix below the mark is still stored, so a reader from the beginning may deliver it too
                assertThat(readUntil(reader, 21)).extracting(StoredRecord::position).contains(Position.of(21));
            }
        }
    }

    @Test
    @DisplayName("an appender paused past the removal delay between its mark observation and its insert reads the mark"
            + " again, and appends a round stored in the removed prefix again after the head")
    void pausedAppenderPastTheRemovalDelay() throws Exception {
        try (Streamable other = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database))) {
            AtomicLong ticker = new AtomicLong();
            Duration delay = Duration.ofSeconds(10);
            MongoTopicStore stale = delayed(streamable.backend().topic("paused"), Duration.ofHours(1));
            MongoTopicStore busy = delayed(other.backend().topic("paused"), Duration.ofHours(1));
            stale.retentionPolicy().removalDelay(delay);
            stale.ticker(ticker::get);
            append(stale, 1, 1); // mark 1 observed at tick 0
            append(busy, 2, 20);
            busy.setRetention(Retention.maxMessages(5)); // mark 16
            // the process stays stopped past the delay: by then the sweep has removed the prefix
            ticker.addAndGet(delay.toNanos() + 1);
            raw.getDatabase(database).getCollection("paused").deleteMany(Filters.and(Filters.gt("_id", 0L),
                    Filters.lt("_id", 16L)));

            List<Position> positions = stale.append(List.of(record(21))).get();

            assertThat(positions).as("not acknowledged at the removed id 2").containsExactly(Position.of(21));
            assertThat(stale.markReads()).as("the window had passed: the mark is read again").isEqualTo(2);
            assertThat(ids("paused")).isEqualTo(LongStream.rangeClosed(16, 21).boxed().toList());
        }
    }

    @Test
    @DisplayName("with a removal delay the mark rises at once and the prefix is removed by a sweep once the server's"
            + " clock has passed the delay")
    void removalAfterTheDelay() throws Exception {
        MongoTopicStore store = delayed(streamable.backend().topic("later"), Duration.ofMillis(50));
        append(store, 1, 10);
        store.setRetention(Retention.maxMessages(4)); // mark 7
        assertThat(store.retentionPolicy().lowWater()).isEqualTo(7);
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            store.enforceRetention();
            assertThat(ids("later")).isEqualTo(LongStream.rangeClosed(7, 10).boxed().toList());
        });
    }

    @Test
    @DisplayName("a reader behind the mark resumes at it and reports the positions it had not read; a reader from the"
            + " beginning reports nothing")
    void readerBehindTheMark() throws Exception {
        TopicStore store = streamable.backend().topic("behind");
        append(store, 1, 10);
        try (TopicReader behind = store.openReader(ReaderSpec.anonymous(StartFrom.after(Position.of(3))));
             TopicReader fresh = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            store.setRetention(Retention.maxMessages(4));
            List<StoredRecord> read = readUntil(behind, 4);
            assertThat(read).extracting(StoredRecord::position).containsExactly(Position.of(7), Position.of(8),
                    Position.of(9), Position.of(10));
            assertThat(behind.takeRetentionGaps()).containsExactly(new RetentionGap("behind", 0, 4, 7));
            assertThat(behind.takeRetentionGaps()).as("taken once").isEmpty();
            assertThat(readUntil(fresh, 4)).extracting(StoredRecord::position).first().isEqualTo(Position.of(7));
            assertThat(fresh.takeRetentionGaps()).isEmpty();
        }
    }

    @Test
    @DisplayName("a hole above the mark is still lost data: the reader throws instead of skipping")
    void holeAboveTheMarkIsLostData() throws Exception {
        TopicStore store = streamable.backend().topic("holed");
        append(store, 1, 10);
        store.setRetention(Retention.maxMessages(6)); // mark 5
        raw.getDatabase(database).getCollection("holed").deleteOne(Filters.eq("_id", 7L));
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.after(Position.of(5))))) {
            Awaitility.await().atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO).untilAsserted(() ->
                    assertThatThrownBy(() -> reader.read(10, Duration.ofMillis(200)))
                            .isInstanceOf(StreamableException.class).hasMessageContaining("storage lost data")
                            .hasMessageContaining("position 7 is missing"));
        }
    }

    @Test
    @DisplayName("at(t) with producers' clocks up to 3 s apart: the search over _id starts early enough, and the consumer"
            + " receives exactly the messages created at or after t")
    void timeSearchWithSkewedClocks() throws Exception {
        TopicStore store = streamable.backend().topic("skewed");
        store.append(List.of(record(0))).get(); // creates the collection and its indexes the usual way
        MongoCollection<Document> collection = raw.getDatabase(database).getCollection("skewed");
        collection.deleteMany(new Document());
        Instant base = Instant.parse("2026-12-01T10:00:00Z");
        Random random = new Random(17);
        List<Document> documents = new ArrayList<>();
        List<Instant> created = new ArrayList<>();
        for (long id = 1; id <= 2_000; id++) {
            // 100 ms apart, each stamped by a clock up to 3 s off: ascending only roughly
            Instant at = base.plusMillis(id * 100 + random.nextInt(6_000) - 3_000);
            created.add(at);
            documents.add(new Document("_id", id).append("shardingKey", "k")
                    .append("payload", new Binary(("\"" + id + "\"").getBytes(StandardCharsets.UTF_8)))
                    .append("createdAt", Date.from(at)));
        }
        collection.insertMany(documents);

        for (Instant t : List.of(base.minusSeconds(60), base.plusSeconds(30), base.plusSeconds(100), base.plusSeconds(199),
                base.plusSeconds(400))) {
            Optional<Position> before = store.positionBefore(t);
            long after = before.map(Position::offset).orElse(0L);
            for (int i = 0; i < after; i++) {
                assertThat(created.get(i)).as("id %d, at or before the start %d, t=%s", i + 1, after, t).isBefore(t);
            }
            long earlyOnes = LongStream.rangeClosed(after + 1, 2_000)
                    .filter(id -> created.get((int) id - 1).isBefore(t)).count();
            assertThat(earlyOnes).as("records after the start created before t=%s: the skew window, not the topic", t)
                    .isLessThanOrEqualTo(200);
        }

        Instant t = base.plusSeconds(100);
        List<Long> expected = LongStream.rangeClosed(1, 2_000).filter(id -> !created.get((int) id - 1).isBefore(t))
                .boxed().toList();
        List<Long> received = new CopyOnWriteArrayList<>();
        try (Consumer<String> consumer = streamable.consumer(Topic.of("skewed", String.class)).startFrom(StartFrom.at(t))
                .handler(message -> received.add(message.position().offset())).start()) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= expected.size());
            consumer.awaitCaughtUp(Duration.ofSeconds(30));
        }
        assertThat(received).isEqualTo(expected);
    }

    private static List<StoredRecord> readUntil(TopicReader reader, int count) {
        List<StoredRecord> read = new CopyOnWriteArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO).until(() -> {
            ReadBatch batch = reader.read(100, Duration.ofMillis(200));
            read.addAll(batch.records());
            return read.size() >= count;
        });
        return read;
    }
}
