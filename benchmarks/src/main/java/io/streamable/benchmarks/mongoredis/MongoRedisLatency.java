package io.streamable.benchmarks.mongoredis;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.FrameworkLatencyRound;
import io.streamable.benchmarks.harness.Pacer;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import org.HdrHistogram.Histogram;
import org.bson.Document;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code mongoredis-latency}: one producer appends at a steady rate ({@code --rate}) for
 * {@code --latency-seconds} while a consumer, woken by Redis signals, records the time from each
 * message's due send time to its handler. Baseline: the prototype's design rebuilt with the same
 * driver and server: a counter round trip ({@code findOneAndUpdate $inc}) before each
 * {@code insertOne}, and a consumer that polls with {@code find(_id > last)} every second.
 *
 * <p>{@code mongoredis-latency-redis-down} is the same with Redis down: the framework's URL names
 * a Redis port nothing listens on, so no signal arrives, and the producer and the consumer use two
 * connections (as two processes would; one connection wakes its own readers without Redis), so
 * the consumer finds messages by the safety poll alone (issue 3's "latency with Redis down"),
 * against the same prototype baseline.
 */
public final class MongoRedisLatency extends MongoRedisScenario {
    private static final long POLL_MILLIS = 1000;
    private final boolean redisDown;

    /** The scenario with Redis up, {@code mongoredis-latency}. */
    public MongoRedisLatency() {
        this(false);
    }

    private MongoRedisLatency(boolean redisDown) {
        this.redisDown = redisDown;
    }

    /** {@return {@code mongoredis-latency-redis-down}: signals lost, the safety poll alone} */
    public static MongoRedisLatency redisDown() {
        return new MongoRedisLatency(true);
    }

    @Override
    public String name() {
        return redisDown ? "mongoredis-latency-redis-down" : "mongoredis-latency";
    }

    @Override
    public String description() {
        return "produce->handler p99 at a steady rate, consumer woken by " + (redisDown
                ? "the safety poll alone (Redis down)" : "Redis") + " vs the prototype"
                + " (counter round trip + insert, consumer polling every second)";
    }

    @Override
    public Unit unit() {
        return Unit.LATENCY;
    }

    @Override
    public String latencyMeaning() {
        return "due send time -> handler";
    }

    private int messages() {
        return settings.messagesOr((int) (settings.latencyRate() * settings.latencyTime().toSeconds()));
    }

    @Override
    public Round framework(int round) throws Exception {
        String name = "fw-latency-" + round;
        if (redisDown) {
            // two connections, as two processes: one connection wakes its own readers without Redis
            try (Streamable producing = Streamable.open(servers.backendUrlWithRedisDown(DATABASE));
                 Streamable consuming = Streamable.open(servers.backendUrlWithRedisDown(DATABASE))) {
                return FrameworkLatencyRound.run(producing, consuming, topic(name), settings, payloads, messages(), true);
            } finally {
                drop(name);
            }
        }
        try (Streamable streamable = openStreamable(true)) {
            return FrameworkLatencyRound.run(streamable, topic(name), settings, payloads, messages(), true);
        } finally {
            drop(name);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        String name = "raw-latency-" + round;
        MongoCollection<Document> collection = raw(name);
        MongoCollection<Document> counters = raw("raw-counters");
        int messages = messages();
        Histogram latencies = Round.newHistogram();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch allHandled = new CountDownLatch(1);
        Thread poller = new Thread(() -> poll(collection, messages, latencies, stop, allHandled), "prototype-poller");
        poller.setDaemon(true);
        poller.start();
        try {
            Pacer pacer = new Pacer(settings.latencyRate());
            long start = System.nanoTime();
            FindOneAndUpdateOptions upsert = new FindOneAndUpdateOptions().upsert(true)
                    .returnDocument(ReturnDocument.AFTER);
            for (int seq = 0; seq < messages; seq++) {
                long due = pacer.awaitTurn(seq);
                BenchPayload payload = payloads.dueAt(seq, due);
                // the prototype reserved an id first, then inserted: two round trips per message
                Document counter = counters.findOneAndUpdate(Filters.eq("_id", name), Updates.inc("seq", 1L), upsert);
                collection.insertOne(rawDocument(counter.get("seq", Number.class).longValue(), payload));
            }
            if (!allHandled.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The polling consumer did not read all " + messages
                        + " messages within a minute of the last insert");
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            stop.set(true);
            poller.interrupt();
            poller.join(5000);
            drop(name);
        }
    }

    private void poll(MongoCollection<Document> collection, int messages, Histogram latencies, AtomicBoolean stop,
                      CountDownLatch allHandled) {
        long last = 0;
        long handled = 0;
        while (!stop.get() && handled < messages) {
            for (Document document : collection.find(Filters.gt("_id", last)).sort(Sorts.ascending("_id"))
                    .batchSize(settings.batchSize())) {
                BenchPayload payload = decode(document);
                latencies.recordValue(System.nanoTime() - payload.sentNanos());
                last = document.get("_id", Number.class).longValue();
                handled++;
            }
            if (handled >= messages) {
                allHandled.countDown();
                return;
            }
            try {
                Thread.sleep(POLL_MILLIS); // the prototype's design under test: a poll every second
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
