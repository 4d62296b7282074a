package io.streamable.benchmarks.inmemory;

import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code slow-key}: head-of-line blocking. A {@code memory:} topic holds N messages over 100
 * sharding keys; a consumer with {@code concurrency(8)} handles them, and one key's handler
 * sleeps 50 ms per message while the 99 others take no time. The figure is the throughput of the
 * 99 fast keys (the round ends when their last message is handled). Baseline: the same run with
 * the slow key as fast as the others, so the ratio says how much one slow key costs the rest
 * (issue 12's target is at least 0.8; when a slow key held every lane back, the fast keys fell to
 * its rate).
 */
public final class SlowKey implements Scenario {
    private static final int DEFAULT_MESSAGES = 100_000;
    private static final int KEYS = 100;
    private static final String SLOW = "key-0";
    private static final Duration SLOW_HANDLER = Duration.ofMillis(50);
    private static final int CONCURRENCY = 8;

    private Settings settings;
    private Payloads payloads;
    private int messages;
    private int fastMessages;

    @Override
    public String name() {
        return "slow-key";
    }

    @Override
    public String description() {
        return "99 fast keys' throughput at concurrency(8) on memory: while key-0 sleeps 50 ms per message"
                + " vs the same run with key-0 fast";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "consumer start -> a fast key's message handled (the topic is filled before)";
    }

    @Override
    public void setUp(Settings settings) {
        this.settings = settings;
        this.messages = settings.messagesOr(DEFAULT_MESSAGES);
        this.payloads = new Payloads(settings.payloadBytes());
        int fast = 0;
        for (int seq = 0; seq < messages; seq++) {
            fast += key(seq).equals(SLOW) ? 0 : 1;
        }
        this.fastMessages = fast;
    }

    private static String key(int seq) {
        return "key-" + (seq % KEYS);
    }

    @Override
    public Round framework(int round) throws Exception {
        return run("bench-slow-key-" + round, true);
    }

    @Override
    public Round baseline(int round) throws Exception {
        return run("bench-no-slow-key-" + round, false);
    }

    private Round run(String topicName, boolean slowKeySleeps) throws Exception {
        Histogram latencies = Round.newHistogram();
        Topic<BenchPayload> topic = Topic.of(topicName, BenchPayload.class);
        CountDownLatch fastDone = new CountDownLatch(1);
        AtomicLong fastHandled = new AtomicLong();
        try (Streamable streamable = Streamable.open("memory:")) {
            try (Producer<BenchPayload> producer = streamable.producer(topic)) {
                int batchSize = settings.batchSize();
                for (int from = 0; from < messages; from += batchSize) {
                    int to = Math.min(messages, from + batchSize);
                    List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                    for (int seq = from; seq < to; seq++) {
                        batch.add(OutgoingMessage.of(key(seq), payloads.next(seq)));
                    }
                    producer.appendAll(batch).join();
                }
            }
            long start = System.nanoTime();
            Consumer<BenchPayload> consumer = streamable.consumer(topic)
                    .startFrom(StartFrom.beginning())
                    .batchSize(settings.batchSize())
                    .concurrency(CONCURRENCY)
                    // the slow key's backlog is abandoned at the end of the round, not waited for
                    .closeTimeout(Duration.ofMillis(100))
                    .handler(message -> {
                        if (message.shardingKey().equals(SLOW)) {
                            if (slowKeySleeps) {
                                Thread.sleep(SLOW_HANDLER.toMillis()); // the slow handler's work
                            }
                            return;
                        }
                        long now = System.nanoTime();
                        synchronized (latencies) {
                            latencies.recordValue(now - start);
                        }
                        if (fastHandled.incrementAndGet() == fastMessages) {
                            fastDone.countDown();
                        }
                    })
                    .start();
            if (!fastDone.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + fastHandled.get() + " of " + fastMessages
                        + " fast-key messages within 5 minutes");
            }
            long elapsed = System.nanoTime() - start;
            consumer.close();
            return new Round(fastMessages, elapsed, latencies);
        }
    }
}
