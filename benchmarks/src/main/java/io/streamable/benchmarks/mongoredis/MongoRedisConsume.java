package io.streamable.benchmarks.mongoredis;

import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Sorts;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.HdrHistogram.Histogram;
import org.bson.Document;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code mongoredis-consume}: a consumer reads a topic of N messages (default 200,000) from the
 * beginning and the round ends when its handler has seen the last one. Baseline: raw {@code find}
 * sorted by {@code _id} with the same batch size over the same collection, each payload decoded by
 * Jackson as the framework does.
 */
public final class MongoRedisConsume extends MongoRedisScenario {
    private static final String TOPIC = "consume-source";
    private int messages;

    @Override
    public String name() {
        return "mongoredis-consume";
    }

    @Override
    public String description() {
        return "consumer from the beginning of an N-message topic vs raw find().sort(_id).batchSize(batch)";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "gap between consecutive messages, stalls between reads included";
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        super.setUp(settings);
        messages = settings.messagesOr(200_000);
        long start = System.nanoTime();
        // written raw, in the backend's document shape: the framework's appends are measured elsewhere,
        // and its id claims would make filling a large topic on mongo-java-server take minutes
        var collection = raw(TOPIC);
        collection.drop();
        for (int from = 0; from < messages; from += 1000) {
            int to = Math.min(messages, from + 1000);
            List<Document> batch = new ArrayList<>(to - from);
            for (int seq = from; seq < to; seq++) {
                batch.add(rawDocument(seq + 1, payloads.next(seq)));
            }
            collection.insertMany(batch);
        }
        System.out.printf("filled topic %s with %,d messages in %.1f s%n", TOPIC, messages,
                (System.nanoTime() - start) / 1e9);
    }

    @Override
    public Round framework(int round) throws Exception {
        Topic<BenchPayload> topic = topic(TOPIC);
        Histogram gaps = Round.newHistogram();
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        long[] previous = {0};
        try (Streamable streamable = openStreamable(true)) {
            long start = System.nanoTime();
            previous[0] = start;
            streamable.consumer(topic)
                    .startFrom(StartFrom.beginning())
                    .batchSize(settings.batchSize())
                    .handler(message -> {
                        long now = System.nanoTime();
                        gaps.recordValue(now - previous[0]);
                        previous[0] = now;
                        if (++handled[0] == messages) {
                            allHandled.countDown();
                        }
                    })
                    .start();
            if (!allHandled.await(10, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within 10 minutes");
            }
            return new Round(messages, System.nanoTime() - start, gaps);
        }
    }

    @Override
    public Round baseline(int round) {
        Histogram gaps = Round.newHistogram();
        long count = 0;
        long checksum = 0;
        long start = System.nanoTime();
        long previous = start;
        try (MongoCursor<Document> cursor = raw(TOPIC).find().sort(Sorts.ascending("_id"))
                .batchSize(settings.batchSize()).iterator()) {
            while (cursor.hasNext()) {
                BenchPayload payload = decode(cursor.next());
                checksum += payload.seq();
                count++;
                long now = System.nanoTime();
                gaps.recordValue(now - previous);
                previous = now;
            }
        }
        long elapsed = System.nanoTime() - start;
        if (count != messages || checksum != (long) messages * (messages - 1) / 2) {
            throw new IllegalStateException("Raw find read " + count + " documents, expected " + messages);
        }
        return new Round(count, elapsed, gaps);
    }
}
