package io.streamable.benchmarks.kafka;

import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.FrameworkLatencyRound;
import io.streamable.benchmarks.harness.Pacer;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code kafka-latency}: one producer appends at a steady rate ({@code --rate}) for
 * {@code --latency-seconds}, without waiting for each append, while a consumer records the time
 * from each message's due send time to its handler. Baseline: a raw {@code KafkaProducer} and a raw
 * {@code KafkaConsumer} polling in a loop, with identical settings, on the same broker.
 */
public final class KafkaLatency extends KafkaScenario {

    @Override
    public String name() {
        return "kafka-latency";
    }

    @Override
    public String description() {
        return "produce->handler p99 at a steady rate vs raw KafkaProducer -> KafkaConsumer.poll";
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
        try (Streamable streamable = openStreamable()) {
            return FrameworkLatencyRound.run(streamable, topic(name), settings, payloads, messages(), false);
        } finally {
            deleteTopic(name);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        String name = "raw-latency-" + round;
        createRawTopic(name);
        int messages = messages();
        Histogram latencies = Round.newHistogram();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch allHandled = new CountDownLatch(1);
        CountDownLatch assigned = new CountDownLatch(1);
        Thread poller = new Thread(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = rawConsumer()) {
                consumer.assign(partitions(name));
                consumer.seekToBeginning(partitions(name));
                assigned.countDown();
                long handled = 0;
                while (!stop.get() && handled < messages) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        latencies.recordValue(System.nanoTime() - decode(record.value()).sentNanos());
                        handled++;
                    }
                }
                if (handled >= messages) {
                    allHandled.countDown();
                }
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "raw-kafka-poller");
        poller.setDaemon(true);
        poller.start();
        try (KafkaProducer<byte[], byte[]> producer = rawProducer()) {
            assigned.await(30, TimeUnit.SECONDS);
            Pacer pacer = new Pacer(settings.latencyRate());
            long start = System.nanoTime();
            for (int seq = 0; seq < messages; seq++) {
                long due = pacer.awaitTurn(seq);
                BenchPayload payload = payloads.dueAt(seq, due);
                producer.send(new ProducerRecord<>(name, payload.key().getBytes(StandardCharsets.UTF_8), encode(payload)),
                        (metadata, exception) -> {
                            if (exception != null) {
                                failure.compareAndSet(null, exception);
                            }
                        });
            }
            producer.flush();
            if (!allHandled.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The raw consumer did not read all " + messages
                        + " messages within a minute of the last send", failure.get());
            }
            if (failure.get() != null) {
                throw new IllegalStateException("The raw producer or consumer failed", failure.get());
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        } finally {
            stop.set(true);
            poller.join(5000);
            deleteTopic(name);
        }
    }
}
