package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import io.streamable.client.Streamable;
import org.bson.Document;
import org.bson.types.Binary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scan both readers share: what it decodes from raw bytes equals what the Document path
 * ({@link MongoTopicStore#toRecord}, {@link MongoGroups#slotOf}, {@link MongoTopicStore#isStub})
 * makes of the same document, for this backend's documents and foreign ones alike, and its
 * batches end where they should (max, byte bound, exhausted, stopped).
 */
class MongoScanTest {
    private static final int SLOTS = 16;
    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(),
            TestServers.redisUri(), database));

    @AfterEach
    void close() {
        streamable.close();
        raw.close();
    }

    private MongoTopicStore store(String topic) {
        return (MongoTopicStore) ((MongoRedisBackend) streamable.backend()).topic(topic);
    }

    private MongoCollection<Document> collection(String topic) {
        return raw.getDatabase(database).getCollection(topic);
    }

    private static Document sound(Object id) {
        return new Document("_id", id).append("shardingKey", "k").append("payload", new Binary(new byte[] {1}))
                .append("createdAt", new Date(1_000));
    }

    /** Everything a consumer sees of a record, comparable. */
    private static String describe(StoredRecord record) {
        return record.position() + " " + record.createdAt() + " " + record.shardingKey() + " " + record.logCompactId()
                + " " + record.headers() + " " + Arrays.toString(record.payload()) + " " + record.defect();
    }

    /** Id, stub, slot and size of each document, then its record, as the scan reads them. */
    private static List<String> scanned(MongoTopicStore store) throws InterruptedException {
        List<String> seen = new ArrayList<>();
        MongoScan scan = new MongoScan(store);
        scan.open(Filters.gt(MongoTopicStore.ID, 0L), 1000);
        MongoScan.Batch batch = scan.next(1000, document -> {
            seen.add(document.id() + " " + document.rawId() + " " + document.isStub() + " " + document.slot(SLOTS)
                    + " " + document.payloadBytes() + " " + (document.id() > 0 ? describe(document.toRecord()) : "-"));
            return MongoScan.Verdict.PASS;
        });
        assertThat(batch.end()).isEqualTo(MongoScan.End.EXHAUSTED);
        assertThat(scan.isOpen()).isFalse();
        return seen;
    }

    /** The same, as the readers decoded documents before the raw path. */
    private static List<String> asDocuments(MongoTopicStore store) {
        List<String> seen = new ArrayList<>();
        for (Document document : store.collection().find(Filters.gt(MongoTopicStore.ID, 0L))
                .sort(Sorts.ascending(MongoTopicStore.ID))) {
            long id = MongoTopicStore.idOf(document);
            seen.add(id + " " + document.get(MongoTopicStore.ID) + " " + MongoTopicStore.isStub(document) + " "
                    + MongoGroups.slotOf(document, SLOTS) + " " + MongoScan.payloadBytes(document) + " "
                    + (id > 0 ? describe(MongoTopicStore.toRecord(id, document)) : "-"));
        }
        return seen;
    }

    @Test
    @DisplayName("this backend's documents (BinData and embedded payloads, headers, compaction ids, stubs) and the"
            + " prototype's decode from raw bytes exactly as through a Document")
    void regularDocuments() throws Exception {
        MongoTopicStore store = store("regular");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("streamable.schema.version", "3");
        headers.put("b", "");
        store.append(List.of(
                new AppendRecord("k1", Optional.of("c"), Map.of(), "{\"a\":2}".getBytes(StandardCharsets.UTF_8), true),
                new AppendRecord("k2", Optional.empty(), Map.of(), new byte[] {0, 1, 2, -1}),
                new AppendRecord("k1", Optional.of("c"), headers, "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":1.5}}"
                        .getBytes(StandardCharsets.UTF_8), true),
                new AppendRecord("k3", Optional.empty(), Map.of(), new byte[0]))).get();
        long stubs = collection("regular").countDocuments(Filters.eq("compacted", true));
        assertThat(stubs).isEqualTo(1); // the first record of (k1, c) became a stub
        // the prototype's shape: Int32 and double ids, no headers, no slot, an embedded payload
        collection("regular").insertMany(List.of(
                new Document("_id", 5).append("createdAt", new Date(2_000)).append("shardingKey", "p")
                        .append("payload", new Document("name", "phil").append("n", 3)),
                new Document("_id", 6.0).append("createdAt", new Date(3_000)).append("shardingKey", "q")
                        .append("payload", new Document()).append("logCompactId", null).append("headers", List.of())));

        List<String> scanned = scanned(store);
        assertThat(scanned).hasSize(6).isEqualTo(asDocuments(store));
        assertThat(scanned.get(0)).startsWith("1 1 true "); // the stub: readers pass it without decoding
        assertThat(scanned.subList(1, 6)).allSatisfy(line -> assertThat(line)
                .doesNotContain("not a record in this backend's shape"));
        assertThat(scanned.get(2)).contains("streamable.schema.version=3").contains("b=");
    }

    @Test
    @DisplayName("foreign and malformed documents (wrong types, missing fields, odd ids and slots) are judged as"
            + " through a Document: the same ids, slots, stubs and defects")
    void foreignDocuments() throws Exception {
        MongoTopicStore store = store("foreign");
        collection("foreign").insertMany(List.of(
                sound(1L).append("payload", "Ada"),
                sound(2L).append("payload", null),
                new Document("_id", 3L).append("shardingKey", 42).append("payload", new Binary(new byte[0])),
                new Document("_id", 4L).append("order", "another program's"),
                sound(5L).append("headers", "not a list"),
                sound(6L).append("headers", List.of(new Document("n", "a").append("v", 1))),
                sound(7L).append("headers", List.of("n", "v")),
                sound(8L).append("createdAt", "yesterday"),
                sound(9L).append("logCompactId", 7),
                sound(10L).append("slot", 3L),
                sound(11L).append("slot", 99),
                sound(12L).append("slot", 5),
                sound(13L).append("compacted", "yes"),
                sound(14L).append("compacted", false),
                sound(15L).append("compacted", true).append("slot", 2),
                sound(16.5),
                sound(17L).append("payload", new Binary((byte) 4, new byte[16])),
                sound(org.bson.types.Decimal128.parse("18"))));

        assertThat(scanned(store)).hasSize(18).isEqualTo(asDocuments(store));
    }

    @Test
    @DisplayName("a batch ends at max (the cursor stays open), at a stop (closed, the document not delivered) and"
            + " when the cursor is exhausted (closed); passed documents are not delivered")
    void batchEnds() throws Exception {
        MongoTopicStore store = store("ends");
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            records.add(new AppendRecord("k", Optional.empty(), Map.of(), new byte[] {(byte) i}));
        }
        store.append(records).get();
        MongoScan scan = new MongoScan(store);
        scan.open(Filters.gt(MongoTopicStore.ID, 0L), 4);

        MongoScan.Batch first = scan.next(4, document -> document.id() % 2 == 0 ? MongoScan.Verdict.PASS
                : MongoScan.Verdict.DELIVER);
        assertThat(first.end()).isEqualTo(MongoScan.End.FULL);
        assertThat(first.records()).extracting(r -> r.position().offset()).containsExactly(1L, 3L, 5L, 7L);
        assertThat(scan.isOpen()).isTrue();

        MongoScan.Batch stopped = scan.next(4, document -> document.id() == 10 ? MongoScan.Verdict.STOP
                : MongoScan.Verdict.DELIVER);
        assertThat(stopped.end()).isEqualTo(MongoScan.End.STOPPED);
        assertThat(stopped.records()).extracting(r -> r.position().offset()).containsExactly(8L, 9L);
        assertThat(scan.isOpen()).isFalse();

        scan.open(Filters.gte(MongoTopicStore.ID, 9L), 4);
        MongoScan.Batch rest = scan.next(4, document -> MongoScan.Verdict.DELIVER);
        assertThat(rest.end()).isEqualTo(MongoScan.End.EXHAUSTED);
        assertThat(rest.records()).extracting(r -> r.position().offset()).containsExactly(9L, 10L);
        assertThat(scan.isOpen()).isFalse();
    }

    @Test
    @DisplayName("a batch holds at most 16 MB of payload, BinData or embedded, but always one record: the document"
            + " that does not fit starts the next batch")
    void byteBound() throws Exception {
        MongoTopicStore store = store("bytes");
        byte[] big = new byte[6 * 1024 * 1024];
        StringBuilder json = new StringBuilder("{\"s\":\"");
        json.append("x".repeat(6 * 1024 * 1024)).append("\"}");
        store.append(List.of(
                new AppendRecord("k", Optional.empty(), Map.of(), big),
                new AppendRecord("k", Optional.empty(), Map.of(), json.toString().getBytes(StandardCharsets.UTF_8), true),
                new AppendRecord("k", Optional.empty(), Map.of(), big))).get();
        MongoScan scan = new MongoScan(store);
        scan.open(Filters.gt(MongoTopicStore.ID, 0L), 10);

        MongoScan.Batch first = scan.next(10, document -> MongoScan.Verdict.DELIVER);
        assertThat(first.end()).isEqualTo(MongoScan.End.FULL);
        assertThat(first.records()).extracting(r -> r.position().offset()).containsExactly(1L, 2L);
        MongoScan.Batch second = scan.next(10, document -> MongoScan.Verdict.DELIVER);
        assertThat(second.records()).extracting(r -> r.position().offset()).containsExactly(3L);
        assertThat(second.end()).isEqualTo(MongoScan.End.EXHAUSTED);
    }
}
