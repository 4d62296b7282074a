package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.InsertManyOptions;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.bson.Document;
import org.bson.types.Binary;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A quick measurement, not a test (no assertions on speed): run its {@code main} from the test
 * class path. It prints
 * <ul>
 *   <li>produce throughput, single and batched, as a ratio to raw {@code insertOne} /
 *       {@code insertMany} of the same documents with the same driver on the same server;</li>
 *   <li>produce-to-handler latency p50/p99 with the consumer woken by Redis, and with Redis down
 *       (safety poll only).</li>
 * </ul>
 * Servers come from {@link TestServers}. On mongo-java-server every range query and sort scans
 * the collection, so absolute figures (and the per-append {@code max(_id)}) say little about real
 * MongoDB: keep collections small and compare ratios.
 */
public final class MongoRedisBenchmark {
    record Payload(String name, boolean isGreat, long sentNanos) {
    }

    private static final int SINGLE = 1_000;
    private static final int BATCHES = 20;
    private static final int BATCH = 100;
    private static final int LATENCY_SAMPLES = 300;

    private MongoRedisBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String mongoUri = TestServers.mongoUri();
        TestServers.EmbeddedRedis redis = TestServers.startRedis();
        byte[] body = "{\"name\":\"phil\",\"isGreat\":true,\"sentNanos\":0}".getBytes(StandardCharsets.UTF_8);
        try (MongoClient raw = MongoClients.create(mongoUri)) {
            // warm up both paths once
            rawSingle(raw.getDatabase(TestServers.freshDatabase()).getCollection("raw"), body, 200);
            framework(mongoUri, redis.uri(), 200, 1);

            double rawSingle = rawSingle(raw.getDatabase(TestServers.freshDatabase()).getCollection("raw"), body, SINGLE);
            double ourSingle = framework(mongoUri, redis.uri(), SINGLE, 1);
            double rawBatched = rawBatched(raw.getDatabase(TestServers.freshDatabase()).getCollection("raw"), body);
            double ourBatched = framework(mongoUri, redis.uri(), BATCHES * BATCH, BATCH);
            System.out.printf("single:  raw insertOne %.0f msg/s, append %.0f msg/s, ratio %.2f%n",
                    rawSingle, ourSingle, ourSingle / rawSingle);
            System.out.printf("batched: raw insertMany %.0f msg/s, appendAll %.0f msg/s, ratio %.2f (batches of %d)%n",
                    rawBatched, ourBatched, ourBatched / rawBatched, BATCH);
        }
        latency("Redis signals", mongoUri, redis.uri(), "safetyPoll=3s");
        redis.stop();
        latency("Redis down, safety poll 3s", mongoUri, redis.uri(), "safetyPoll=3s");
        redis.close();
        // the shared embedded MongoDB runs non-daemon threads and stops in a shutdown hook
        System.exit(0);
    }

    private static double rawSingle(MongoCollection<Document> collection, byte[] body, int count) {
        long start = System.nanoTime();
        for (int i = 1; i <= count; i++) {
            collection.insertOne(document(i, body));
        }
        return count / seconds(start);
    }

    private static double rawBatched(MongoCollection<Document> collection, byte[] body) {
        long start = System.nanoTime();
        long id = 1;
        for (int b = 0; b < BATCHES; b++) {
            List<Document> documents = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                documents.add(document(id++, body));
            }
            collection.insertMany(documents, new InsertManyOptions().ordered(true));
        }
        return BATCHES * BATCH / seconds(start);
    }

    private static Document document(long id, byte[] body) {
        return new Document("_id", id).append("shardingKey", "phil").append("payload", new Binary(body))
                .append("createdAt", new Date());
    }

    private static double framework(String mongoUri, String redisUri, int count, int batch) {
        try (Streamable streamable = Streamable.open(TestServers.urlFor(mongoUri, redisUri, TestServers.freshDatabase()))) {
            Producer<Payload> producer = streamable.producer(Topic.of("bench", Payload.class));
            long start = System.nanoTime();
            if (batch == 1) {
                for (int i = 0; i < count; i++) {
                    producer.appendAndWait("phil", new Payload("phil", true, 0));
                }
            } else {
                for (int b = 0; b < count / batch; b++) {
                    List<OutgoingMessage<Payload>> messages = new ArrayList<>(batch);
                    for (int i = 0; i < batch; i++) {
                        messages.add(OutgoingMessage.of("phil", new Payload("phil", true, 0)));
                    }
                    producer.appendAllAndWait(messages);
                }
            }
            return count / seconds(start);
        }
    }

    private static void latency(String label, String mongoUri, String redisUri, String option) throws Exception {
        String database = TestServers.freshDatabase();
        Topic<Payload> topic = Topic.of("latency", Payload.class);
        BlockingQueue<Long> latencies = new ArrayBlockingQueue<>(LATENCY_SAMPLES + 10);
        int samples = label.contains("down") ? 20 : LATENCY_SAMPLES;
        try (Streamable producerSide = Streamable.open(TestServers.urlFor(mongoUri, redisUri, database));
             Streamable consumerSide = Streamable.open(TestServers.urlFor(mongoUri, redisUri, database, option));
             Consumer<Payload> consumer = consumerSide.consumer(topic).startFrom(StartFrom.latest())
                     .handler(message -> latencies.add(System.nanoTime() - message.payload().sentNanos())).start()) {
            Producer<Payload> producer = producerSide.producer(topic);
            long[] values = new long[samples];
            for (int i = 0; i < samples; i++) {
                producer.appendAndWait("phil", new Payload("phil", true, System.nanoTime()));
                Long latency = latencies.poll(30, TimeUnit.SECONDS);
                if (latency == null) {
                    throw new IllegalStateException("no delivery within 30 s");
                }
                values[i] = latency;
            }
            Arrays.sort(values);
            System.out.printf("latency, %s: p50 %.2f ms, p99 %.2f ms (%d samples, producer and consumer on separate"
                            + " connections)%n", label, values[samples / 2] / 1e6,
                    values[Math.min(samples - 1, (int) Math.ceil(samples * 0.99) - 1)] / 1e6, samples);
            consumer.close();
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
