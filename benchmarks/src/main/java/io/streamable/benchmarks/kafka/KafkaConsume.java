package io.streamable.benchmarks.kafka;

import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code kafka-consume}: a consumer reads a topic of N messages (default 200,000) from the
 * beginning; the round ends when its handler has seen the last one. Baseline: a raw
 * {@code KafkaConsumer} with the backend's settings, assigned every partition from the beginning,
 * decoding each value with Jackson as the framework does.
 *
 * <p>{@code kafka-catchup} is the same with a <em>named</em> consumer (a new name each round, so
 * it starts N messages behind, default 1,000,000, and commits as it goes) against a raw consumer
 * in a new consumer group that subscribes and commits asynchronously after every poll.
 */
public final class KafkaConsume extends KafkaScenario {
    private final boolean named;
    private String sourceTopic;
    private int messages;

    /** The anonymous-consumer scenario, {@code kafka-consume}. */
    public KafkaConsume() {
        this(false);
    }

    private KafkaConsume(boolean named) {
        this.named = named;
    }

    /** {@return {@code kafka-catchup}: a named consumer N messages behind} */
    public static KafkaConsume catchUp() {
        return new KafkaConsume(true);
    }

    @Override
    public String name() {
        return named ? "kafka-catchup" : "kafka-consume";
    }

    @Override
    public String description() {
        return named ? "named consumer N messages behind catches up vs raw KafkaConsumer in a group, committing"
                : "consumer from the beginning of an N-message topic vs raw KafkaConsumer poll loop";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "gap between consecutive messages, stalls between polls included";
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        super.setUp(settings);
        messages = settings.messagesOr(named ? 1_000_000 : 200_000);
        sourceTopic = (named ? "catchup-source-" : "consume-source-") + messages + "-" + settings.payloadBytes();
        long start = System.nanoTime();
        if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(sourceTopic)) {
            deleteTopic(sourceTopic); // an external cluster may hold one from an earlier run
        }
        try (Streamable streamable = openStreamable();
             Producer<BenchPayload> producer = streamable.producer(topic(sourceTopic))) {
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (int from = 0; from < messages; from += 1000) {
                int to = Math.min(messages, from + 1000);
                List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                for (int seq = from; seq < to; seq++) {
                    batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                }
                pending.add(producer.appendAll(batch));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        }
        System.out.printf("filled topic %s with %,d messages in %.1f s%n", sourceTopic, messages,
                (System.nanoTime() - start) / 1e9);
    }

    @Override
    public Round framework(int round) throws Exception {
        Histogram gaps = Round.newHistogram();
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        long[] previous = {0};
        try (Streamable streamable = openStreamable()) {
            long start = System.nanoTime();
            previous[0] = start;
            var builder = streamable.consumer(topic(sourceTopic));
            if (named) {
                builder = builder.name("catchup-" + round);
            }
            builder.startFrom(StartFrom.beginning())
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
            if (!allHandled.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within 5 minutes");
            }
            return new Round(messages, System.nanoTime() - start, gaps);
        }
    }

    @Override
    public Round baseline(int round) {
        Histogram gaps = Round.newHistogram();
        long count = 0;
        long start = System.nanoTime();
        long previous = start;
        long deadline = start + TimeUnit.MINUTES.toNanos(5);
        try (KafkaConsumer<byte[], byte[]> consumer = named ? rawGroupConsumer("raw-catchup-" + round) : rawConsumer()) {
            if (named) {
                consumer.subscribe(List.of(sourceTopic));
            } else {
                consumer.assign(partitions(sourceTopic));
                consumer.seekToBeginning(partitions(sourceTopic));
            }
            while (count < messages) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("The raw consumer read " + count + " of " + messages
                            + " messages within 5 minutes");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    BenchPayload payload = decode(record.value());
                    if (payload.seq() < 0) {
                        throw new IllegalStateException("Decoded a negative sequence number");
                    }
                    count++;
                    long now = System.nanoTime();
                    gaps.recordValue(now - previous);
                    previous = now;
                }
                if (named) {
                    consumer.commitAsync();
                }
            }
        }
        return new Round(count, System.nanoTime() - start, gaps);
    }

    @Override
    public void close() {
        if (sourceTopic != null && admin != null) {
            deleteTopic(sourceTopic); // a sweep fills one per cell: keep the broker's disk bounded
        }
        super.close();
    }
}
