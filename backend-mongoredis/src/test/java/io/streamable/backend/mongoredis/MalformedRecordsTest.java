package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.bson.Document;
import org.bson.types.Binary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Documents written by the raw driver in shapes this backend does not write come back as malformed records. */
class MalformedRecordsTest {
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(),
            TestServers.redisUri(), database));

    @AfterEach
    void close() {
        streamable.close();
        raw.close();
    }

    private static AppendRecord record(String payload) {
        return new AppendRecord("k", Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static Document sound(long id) {
        return new Document("_id", id).append("shardingKey", "k").append("payload", new Binary(new byte[] {1}))
                .append("createdAt", new Date(1_000));
    }

    @Test
    @DisplayName("another program's document, a string payload, missing and wrong-typed fields: each is a"
            + " malformed record at its position saying what is wrong, and the reader goes on")
    void malformedDocuments() throws Exception {
        TopicStore store = streamable.backend().topic("foreign");
        store.append(List.of(record("first"))).get();
        MongoCollection<Document> collection = raw.getDatabase(database).getCollection("foreign");
        collection.insertMany(List.of(
                sound(2).append("payload", "Ada"),
                sound(3).append("payload", null),
                new Document("_id", 4L).append("shardingKey", 42).append("payload", new Binary(new byte[0])),
                new Document("_id", 5L).append("order", "another program's"),
                sound(6).append("headers", "not a list"),
                sound(7).append("headers", List.of(new Document("n", "a").append("v", 1))),
                sound(8).append("createdAt", "yesterday"),
                sound(9).append("logCompactId", 7)));
        store.append(List.of(record("last"))).get();

        List<StoredRecord> read;
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            read = reader.read(20, Duration.ZERO).records();
        }

        assertThat(read).extracting(r -> r.position().offset()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(read.get(0).defect()).isEmpty();
        assertThat(read.get(9).defect()).isEmpty();
        assertThat(read.get(9).payload()).isEqualTo("last".getBytes(StandardCharsets.UTF_8));
        assertThat(read.subList(1, 9)).allSatisfy(record -> {
            assertThat(record.defect()).hasValueSatisfying(defect -> assertThat(defect)
                    .startsWith("not a record in this backend's shape: "));
            assertThat(record.payload()).isEmpty();
        });
        assertThat(read.get(1).defect().orElseThrow())
                .contains("its payload is a string, not an embedded document or binary data (BinData)");
        assertThat(read.get(1).shardingKey()).isEqualTo("k");
        assertThat(read.get(1).createdAt()).isEqualTo(Instant.ofEpochMilli(1_000));
        assertThat(read.get(2).defect().orElseThrow()).contains("it has no payload field");
        assertThat(read.get(3).defect().orElseThrow()).contains("its shardingKey is a number, not a string");
        assertThat(read.get(3).shardingKey()).isEmpty();
        assertThat(read.get(4).defect().orElseThrow()).contains("it has no shardingKey field");
        assertThat(read.get(4).createdAt()).isEqualTo(Instant.EPOCH);
        assertThat(read.get(5).defect().orElseThrow()).contains("its headers is a string, not an array of {n, v}");
        assertThat(read.get(6).defect().orElseThrow()).contains("header 1 is not {n: string, v: string}");
        assertThat(read.get(7).defect().orElseThrow()).contains("its createdAt is a string, not a date");
        assertThat(read.get(8).defect().orElseThrow()).contains("its logCompactId is a number, not a string");
        assertThat(store.head()).contains(Position.of(10));
    }

    @Test
    @DisplayName("a document with a non-numeric _id (another program's) is not a position: head, lag and readers ignore it")
    void nonNumericIdsAreIgnored() throws Exception {
        TopicStore store = streamable.backend().topic("mixed");
        raw.getDatabase(database).getCollection("mixed").insertOne(new Document("_id", "config").append("x", 1));
        assertThat(store.head()).isEmpty();
        assertThat(store.append(List.of(record("one"))).get()).containsExactly(Position.of(1));
        assertThat(store.lag(Optional.empty())).isEqualTo(1);
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(20, Duration.ZERO).records()).extracting(StoredRecord::defect)
                    .containsExactly(Optional.empty());
        }
    }
}
