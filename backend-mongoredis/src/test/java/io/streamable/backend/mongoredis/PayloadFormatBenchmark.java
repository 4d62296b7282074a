package io.streamable.backend.mongoredis;

import com.mongodb.MongoClientSettings;
import io.streamable.backend.AppendRecord;
import org.bson.BsonBinaryReader;
import org.bson.BsonType;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonTypeClassMap;
import org.bson.codecs.RawBsonDocumentCodec;
import org.bson.BsonBinaryWriter;
import org.bson.Document;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.DocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;
import org.bson.types.Binary;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Not a test: the CPU cost of this backend's share of an append and a read per payload format,
 * without servers (the round trips are the same for both). Encode = build the document and write
 * it as the driver does for an insert; decode = read the stored BSON into a Document as the driver
 * does for a find and hand the consumer its bytes. Run its {@code main} from the test class path.
 */
public final class PayloadFormatBenchmark {
    private static final DocumentCodec CODEC = new DocumentCodec();
    private static volatile Object sink;

    private PayloadFormatBenchmark() {
    }

    /**
     * Prints nanoseconds per message for each format and payload size.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        String small = "{\"name\":\"phil\",\"isGreat\":true,\"quantity\":3,\"price\":19.99,\"tags\":[\"a\",\"b\"],"
                + "\"address\":{\"city\":\"Zürich\",\"zip\":8000},\"placedAt\":\"2026-12-02T01:00:00Z\"}";
        StringBuilder large = new StringBuilder("{\"lines\":[");
        for (int i = 0; i < 40; i++) {
            large.append(i == 0 ? "" : ",").append("{\"sku\":\"sku-").append(i).append("\",\"qty\":").append(i)
                    .append(",\"price\":").append(i + 0.5).append(",\"note\":\"some descriptive text\"}");
        }
        large.append("]}");
        for (String json : List.of(small, large.toString())) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            AppendRecord record = new AppendRecord("phil", Optional.empty(), Map.of("streamable.schema.version", "1"),
                    bytes, true);
            byte[] oldStored = write(before(record));
            byte[] binStored = RAW.encodeToBytes(MongoTopicStore.toDocument(1, record, false, new Date(), 16));
            byte[] docStored = RAW.encodeToBytes(MongoTopicStore.toDocument(1, record, true, new Date(), 16));
            for (int round = 0; round < 5; round++) { // the first rounds warm the JIT up
                long before = time(() -> write(before(record)));
                long binary = time(() -> RAW.encodeToBytes(MongoTopicStore.toDocument(7, record, false, new Date(), 16)));
                long document = time(() -> RAW.encodeToBytes(MongoTopicStore.toDocument(7, record, true, new Date(), 16)));
                long readBefore = time(() -> MongoTopicStore.toRecord(1, decode(oldStored, PLAIN)).payload());
                long readBinary = time(() -> MongoTopicStore.toRecord(1, decode(binStored, EMBEDDED_RAW)).payload());
                long readDocument = time(() -> MongoTopicStore.toRecord(1, decode(docStored, EMBEDDED_RAW)).payload());
                if (round >= 3) {
                    System.out.printf("payload %5d bytes, ns per message: encode before %5d, BinData %5d,"
                                    + " document %5d (document/before %.2f); decode before %5d, BinData %5d,"
                                    + " document %5d (document/before %.2f)%n", bytes.length, before, binary, document,
                            (double) document / before, readBefore, readBinary, readDocument,
                            (double) readDocument / readBefore);
                }
            }
        }
    }

    /** What the driver's codec does with a document; RawBsonDocument is copied as it is. */
    private static final class Raw {
        byte[] encodeToBytes(RawBsonDocument document) {
            BasicOutputBuffer buffer = new BasicOutputBuffer();
            new RawBsonDocumentCodec().encode(new BsonBinaryWriter(buffer), document, EncoderContext.builder().build());
            return buffer.toByteArray();
        }
    }

    private static final Raw RAW = new Raw();
    private static final DocumentCodec PLAIN = new DocumentCodec();
    private static final DocumentCodec EMBEDDED_RAW = new DocumentCodec(MongoClientSettings.getDefaultCodecRegistry(),
            new BsonTypeClassMap(Map.of(BsonType.DOCUMENT, RawBsonDocument.class)));

    private static Document decode(byte[] stored, DocumentCodec codec) {
        return codec.decode(new BsonBinaryReader(ByteBuffer.wrap(stored)), DecoderContext.builder().build());
    }

    private static long time(java.util.function.Supplier<Object> work) {
        int n = 100_000;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink = work.get();
        }
        return (System.nanoTime() - start) / n;
    }

    /** The document as this backend built it before issue 18: a Document with BinData, encoded by the driver. */
    private static Document before(AppendRecord record) {
        List<Document> headers = new java.util.ArrayList<>();
        record.headers().forEach((key, value) -> headers.add(new Document("n", key).append("v", value)));
        return new Document("_id", 7L).append("shardingKey", record.shardingKey()).append("headers", headers)
                .append("payload", new Binary(record.payload())).append("createdAt", new Date());
    }

    private static byte[] write(Document document) {
        BasicOutputBuffer buffer = new BasicOutputBuffer();
        CODEC.encode(new BsonBinaryWriter(buffer), document, EncoderContext.builder().isEncodingCollectibleDocument(true)
                .build());
        return buffer.toByteArray();
    }

}
