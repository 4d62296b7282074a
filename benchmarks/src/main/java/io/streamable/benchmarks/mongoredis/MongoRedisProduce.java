package io.streamable.benchmarks.mongoredis;

import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;
import org.bson.Document;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code mongoredis-produce-batch} and {@code mongoredis-produce-single}: one thread appends N
 * messages to a fresh topic, in batches or one at a time, each call waited for. Baseline: the same
 * documents written by raw {@code insertMany} / {@code insertOne} with the same driver and server.
 */
public final class MongoRedisProduce extends MongoRedisScenario {
    private final boolean batched;

    private MongoRedisProduce(boolean batched) {
        this.batched = batched;
    }

    /** Batched appends against {@code insertMany}. */
    public static MongoRedisProduce batched() {
        return new MongoRedisProduce(true);
    }

    /** Single appends against {@code insertOne}. */
    public static MongoRedisProduce single() {
        return new MongoRedisProduce(false);
    }

    @Override
    public String name() {
        return batched ? "mongoredis-produce-batch" : "mongoredis-produce-single";
    }

    @Override
    public String description() {
        return batched ? "producer.appendAllAndWait(batch) vs raw insertMany of the same documents"
                : "producer.appendAndWait(message) vs raw insertOne of the same document";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return batched ? "one appendAll call" : "one append call";
    }

    private int messages() {
        return settings.messagesOr(batched ? 50_000 : 20_000);
    }

    private int batchSize() {
        return batched ? settings.batchSize() : 1;
    }

    @Override
    public Round framework(int round) {
        String name = "fw-produce-" + round;
        Topic<BenchPayload> topic = topic(name);
        Histogram latencies = Round.newHistogram();
        int messages = messages();
        try (Streamable streamable = openStreamable(true); Producer<BenchPayload> producer = streamable.producer(topic)) {
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += batchSize()) {
                int to = Math.min(messages, from + batchSize());
                long callStart = System.nanoTime();
                if (batched) {
                    List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                    for (int seq = from; seq < to; seq++) {
                        batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                    }
                    producer.appendAllAndWait(batch);
                } else {
                    producer.appendAndWait(payloads.key(from), payloads.next(from));
                }
                latencies.recordValue(System.nanoTime() - callStart);
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            drop(name);
        }
    }

    @Override
    public Round baseline(int round) {
        String name = "raw-produce-" + round;
        Histogram latencies = Round.newHistogram();
        int messages = messages();
        try {
            var collection = raw(name);
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += batchSize()) {
                int to = Math.min(messages, from + batchSize());
                long callStart = System.nanoTime();
                if (batched) {
                    List<Document> batch = new ArrayList<>(to - from);
                    for (int seq = from; seq < to; seq++) {
                        batch.add(rawDocument(seq + 1, payloads.next(seq)));
                    }
                    collection.insertMany(batch);
                } else {
                    collection.insertOne(rawDocument(from + 1, payloads.next(from)));
                }
                latencies.recordValue(System.nanoTime() - callStart);
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            drop(name);
        }
    }
}
