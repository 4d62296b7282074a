package io.streamable.benchmarks.mongoredis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Sorts;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.OrderPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;
import org.bson.Document;
import org.bson.types.Binary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Issue 18: the mongoredis payload formats end to end, with a realistic ~1 KB JSON order
 * ({@link OrderPayload}, about 50 values; {@code --size} does not apply).
 * <ul>
 *   <li>{@code mongoredis-produce-bson}: {@code appendAllAndWait(batch)} with {@code payloads=bson}
 *       (the default: the payload stored as an embedded document) vs raw {@code insertMany} of the
 *       same documents, the payload built by {@code Document.parse} of Jackson's JSON, as a
 *       hand-written client storing queryable documents would.</li>
 *   <li>{@code mongoredis-produce-binary}: the same with {@code payloads=binary} vs raw
 *       {@code insertMany} with the JSON as BinData.</li>
 *   <li>{@code mongoredis-consume-bson} / {@code -binary}: a consumer from the beginning of an
 *       N-message topic written in that format vs raw {@code find().sort(_id)} over the same
 *       collection, decoding each payload with Jackson (an embedded one through
 *       {@code Document.toJson()} first).</li>
 *   <li>{@code mongoredis-produce-bson-vs-binary} / {@code mongoredis-consume-bson-vs-binary}: the
 *       framework with {@code payloads=bson} against the framework with {@code payloads=binary},
 *       interleaved in one scenario: the ratio is bson / binary.</li>
 * </ul>
 */
public final class MongoRedisPayloadFormat extends MongoRedisScenario {
    /** What a scenario compares. */
    private enum Compare {
        BSON("bson"), BINARY("binary"), BSON_VS_BINARY("bson-vs-binary");

        final String label;

        Compare(String label) {
            this.label = label;
        }
    }

    private final boolean produce;
    private final Compare compare;
    private ObjectWriter orderWriter;
    private ObjectReader orderReader;
    private int messages;
    private int orderBytes;

    private MongoRedisPayloadFormat(boolean produce, Compare compare) {
        this.produce = produce;
        this.compare = compare;
    }

    /** {@return {@code mongoredis-produce-bson}} */
    public static MongoRedisPayloadFormat produceBson() {
        return new MongoRedisPayloadFormat(true, Compare.BSON);
    }

    /** {@return {@code mongoredis-produce-binary}} */
    public static MongoRedisPayloadFormat produceBinary() {
        return new MongoRedisPayloadFormat(true, Compare.BINARY);
    }

    /** {@return {@code mongoredis-produce-bson-vs-binary}} */
    public static MongoRedisPayloadFormat produceBsonVsBinary() {
        return new MongoRedisPayloadFormat(true, Compare.BSON_VS_BINARY);
    }

    /** {@return {@code mongoredis-consume-bson}} */
    public static MongoRedisPayloadFormat consumeBson() {
        return new MongoRedisPayloadFormat(false, Compare.BSON);
    }

    /** {@return {@code mongoredis-consume-binary}} */
    public static MongoRedisPayloadFormat consumeBinary() {
        return new MongoRedisPayloadFormat(false, Compare.BINARY);
    }

    /** {@return {@code mongoredis-consume-bson-vs-binary}} */
    public static MongoRedisPayloadFormat consumeBsonVsBinary() {
        return new MongoRedisPayloadFormat(false, Compare.BSON_VS_BINARY);
    }

    @Override
    public String name() {
        return "mongoredis-" + (produce ? "produce-" : "consume-") + compare.label;
    }

    @Override
    public String description() {
        String what = produce ? "appendAllAndWait(batch) of ~1 KB orders" : "consumer from the beginning, ~1 KB orders";
        return switch (compare) {
            case BSON -> what + ", payloads=bson, vs raw " + (produce ? "insertMany" : "find") + " with embedded documents";
            case BINARY -> what + ", payloads=binary, vs raw " + (produce ? "insertMany" : "find") + " with BinData";
            case BSON_VS_BINARY -> what + ": payloads=bson vs payloads=binary (both framework)";
        };
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public int payloadBytes(Settings settings) {
        return orderBytes; // measured in setUp, which runs before the RESULT line is made
    }

    @Override
    public String latencyMeaning() {
        return produce ? "one appendAll call" : "gap between consecutive messages, stalls between reads included";
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        super.setUp(settings);
        ObjectMapper mapper = new ObjectMapper();
        orderWriter = mapper.writerFor(OrderPayload.class);
        orderReader = mapper.readerFor(OrderPayload.class);
        messages = settings.messagesOr(produce ? 20_000 : 50_000);
        orderBytes = encode(OrderPayload.of(123_456, "customer-42")).length;
        System.out.printf("payload: an order of %,d bytes of JSON%n", orderBytes);
        if (!produce) {
            // the framework writes the topics, so the documents are exactly the backend's in each format
            for (boolean bson : new boolean[] {true, false}) {
                if (compare == Compare.BSON && !bson || compare == Compare.BINARY && bson) {
                    continue;
                }
                long start = System.nanoTime();
                String name = sourceTopic(bson);
                drop(name);
                try (Streamable streamable = open(bson); Producer<OrderPayload> producer = streamable.producer(orders(name))) {
                    for (int from = 0; from < messages; from += 1000) {
                        producer.appendAllAndWait(batch(from, Math.min(messages, from + 1000)));
                    }
                }
                System.out.printf("filled topic %s (payloads=%s) with %,d messages in %.1f s%n", name,
                        bson ? "bson" : "binary", messages, (System.nanoTime() - start) / 1e9);
            }
        }
    }

    private static String sourceTopic(boolean bson) {
        return "orders-" + (bson ? "bson" : "binary");
    }

    private Streamable open(boolean bson) {
        return Streamable.open(servers.backendUrl(DATABASE, true, "payloads=" + (bson ? "bson" : "binary")));
    }

    private static Topic<OrderPayload> orders(String name) {
        return Topic.of(name, OrderPayload.class);
    }

    private List<OutgoingMessage<OrderPayload>> batch(int from, int to) {
        List<OutgoingMessage<OrderPayload>> batch = new ArrayList<>(to - from);
        for (int seq = from; seq < to; seq++) {
            String key = "customer-" + (seq % Payloads.KEYS);
            batch.add(OutgoingMessage.of(key, OrderPayload.of(seq, key)));
        }
        return batch;
    }

    @Override
    public Round framework(int round) throws Exception {
        return compare == Compare.BINARY ? frameworkSide(round, false) : frameworkSide(round, true);
    }

    @Override
    public Round baseline(int round) throws Exception {
        return switch (compare) {
            case BSON -> raw(round, true);
            case BINARY -> raw(round, false);
            case BSON_VS_BINARY -> frameworkSide(round, false);
        };
    }

    private Round frameworkSide(int round, boolean bson) throws Exception {
        return produce ? frameworkProduce(round, bson) : frameworkConsume(bson);
    }

    private Round raw(int round, boolean bson) {
        return produce ? rawProduce(round, bson) : rawConsume(bson);
    }

    private Round frameworkProduce(int round, boolean bson) {
        String name = "fw-orders-" + (bson ? "bson-" : "binary-") + round;
        Histogram latencies = Round.newHistogram();
        try (Streamable streamable = open(bson); Producer<OrderPayload> producer = streamable.producer(orders(name))) {
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += settings.batchSize()) {
                List<OutgoingMessage<OrderPayload>> batch = batch(from, Math.min(messages, from + settings.batchSize()));
                long callStart = System.nanoTime();
                producer.appendAllAndWait(batch);
                latencies.recordValue(System.nanoTime() - callStart);
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            drop(name);
        }
    }

    private Round rawProduce(int round, boolean bson) {
        String name = "raw-orders-" + (bson ? "bson-" : "binary-") + round;
        Histogram latencies = Round.newHistogram();
        try {
            var collection = raw(name);
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += settings.batchSize()) {
                int to = Math.min(messages, from + settings.batchSize());
                long callStart = System.nanoTime();
                List<Document> documents = new ArrayList<>(to - from);
                for (OutgoingMessage<OrderPayload> message : batch(from, to)) {
                    byte[] json = encode(message.payload());
                    Object payload = bson ? Document.parse(new String(json, java.nio.charset.StandardCharsets.UTF_8))
                            : new Binary(json);
                    documents.add(new Document("_id", message.payload().seq() + 1)
                            .append("shardingKey", message.shardingKey())
                            .append("payload", payload)
                            .append("createdAt", new Date()));
                }
                collection.insertMany(documents);
                latencies.recordValue(System.nanoTime() - callStart);
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            drop(name);
        }
    }

    private Round frameworkConsume(boolean bson) throws Exception {
        Histogram gaps = Round.newHistogram();
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        long[] previous = {0};
        long[] checksum = {0};
        try (Streamable streamable = open(bson)) {
            long start = System.nanoTime();
            previous[0] = start;
            streamable.consumer(orders(sourceTopic(bson)))
                    .startFrom(StartFrom.beginning())
                    .batchSize(settings.batchSize())
                    .handler(message -> {
                        long now = System.nanoTime();
                        gaps.recordValue(now - previous[0]);
                        previous[0] = now;
                        checksum[0] += message.payload().lines().size();
                        if (++handled[0] == messages) {
                            allHandled.countDown();
                        }
                    })
                    .start();
            if (!allHandled.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within 10 minutes");
            }
            long elapsed = System.nanoTime() - start;
            if (checksum[0] != 7L * messages) {
                throw new IllegalStateException("The consumer decoded " + checksum[0] + " order lines, expected "
                        + 7L * messages);
            }
            return new Round(messages, elapsed, gaps);
        }
    }

    private Round rawConsume(boolean bson) {
        Histogram gaps = Round.newHistogram();
        long count = 0;
        long lines = 0;
        long start = System.nanoTime();
        long previous = start;
        try (MongoCursor<Document> cursor = raw(sourceTopic(bson)).find().sort(Sorts.ascending("_id"))
                .batchSize(settings.batchSize()).iterator()) {
            while (cursor.hasNext()) {
                OrderPayload payload = decodeOrder(cursor.next());
                lines += payload.lines().size();
                count++;
                long now = System.nanoTime();
                gaps.recordValue(now - previous);
                previous = now;
            }
        }
        long elapsed = System.nanoTime() - start;
        if (count != messages || lines != 7L * messages) {
            throw new IllegalStateException("Raw find read " + count + " documents, expected " + messages);
        }
        return new Round(count, elapsed, gaps);
    }

    private byte[] encode(OrderPayload payload) {
        try {
            return orderWriter.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private OrderPayload decodeOrder(Document document) {
        Object payload = document.get("payload");
        try {
            if (payload instanceof Binary binary) {
                return orderReader.readValue(binary.getData());
            }
            if (payload instanceof Document embedded) {
                return orderReader.readValue(embedded.toJson());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("Cannot read the payload of document " + document.get("_id"));
    }

    @Override
    public void close() {
        if (rawDatabase != null && !produce) {
            drop(sourceTopic(true));
            drop(sourceTopic(false));
        }
        super.close();
    }
}
