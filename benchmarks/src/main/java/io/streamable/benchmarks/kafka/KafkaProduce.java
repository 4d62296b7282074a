package io.streamable.benchmarks.kafka;

import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code kafka-produce}: one thread appends N messages in batches without waiting between them
 * (like kafka-producer-perf-test), and the round ends when every batch is acknowledged. Baseline:
 * a raw {@code KafkaProducer} with the backend's settings sending the same payloads, keyed by
 * sharding key, to a topic with the same partitions.
 */
public final class KafkaProduce extends KafkaScenario {

    @Override
    public String name() {
        return "kafka-produce";
    }

    @Override
    public String description() {
        return "producer.appendAll(batch) pipelined vs raw KafkaProducer.send with identical settings";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "one batch, send -> acknowledged";
    }

    private int messages() {
        return settings.messagesOr(200_000);
    }

    @Override
    public Round framework(int round) {
        String name = "fw-produce-" + round;
        Topic<BenchPayload> topic = topic(name);
        Histogram latencies = Round.newHistogram();
        int messages = messages();
        try (Streamable streamable = openStreamable(); Producer<BenchPayload> producer = streamable.producer(topic)) {
            List<CompletableFuture<?>> pending = new ArrayList<>();
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += settings.batchSize()) {
                int to = Math.min(messages, from + settings.batchSize());
                List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                for (int seq = from; seq < to; seq++) {
                    batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                }
                long sent = System.nanoTime();
                pending.add(producer.appendAll(batch).thenRun(() -> {
                    long took = System.nanoTime() - sent;
                    synchronized (latencies) {
                        latencies.recordValue(took);
                    }
                }));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
            long elapsed = System.nanoTime() - start;
            synchronized (latencies) {
                return new Round(messages, elapsed, latencies.copy());
            }
        } finally {
            deleteTopic(name);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        String name = "raw-produce-" + round;
        createRawTopic(name);
        Histogram latencies = Round.newHistogram();
        int messages = messages();
        AtomicReference<Exception> failure = new AtomicReference<>();
        int batches = (messages + settings.batchSize() - 1) / settings.batchSize();
        CountDownLatch acknowledged = new CountDownLatch(batches);
        try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
            long start = System.nanoTime();
            for (int from = 0; from < messages; from += settings.batchSize()) {
                int to = Math.min(messages, from + settings.batchSize());
                long sent = System.nanoTime();
                AtomicInteger remaining = new AtomicInteger(to - from);
                for (int seq = from; seq < to; seq++) {
                    BenchPayload payload = payloads.next(seq);
                    producer.send(new ProducerRecord<>(name, payload.key().getBytes(StandardCharsets.UTF_8),
                            encode(payload)), (metadata, exception) -> {
                                if (exception != null) {
                                    failure.compareAndSet(null, exception);
                                }
                                if (remaining.decrementAndGet() == 0) {
                                    long took = System.nanoTime() - sent;
                                    synchronized (latencies) {
                                        latencies.recordValue(took);
                                    }
                                    acknowledged.countDown();
                                }
                            });
                }
            }
            if (!acknowledged.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The raw producer's sends were not acknowledged within 5 minutes");
            }
            long elapsed = System.nanoTime() - start;
            if (failure.get() != null) {
                throw new IllegalStateException("A raw send failed", failure.get());
            }
            synchronized (latencies) {
                return new Round(messages, elapsed, latencies.copy());
            }
        } finally {
            deleteTopic(name);
        }
    }
}
