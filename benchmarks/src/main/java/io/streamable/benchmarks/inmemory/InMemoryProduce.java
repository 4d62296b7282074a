package io.streamable.benchmarks.inmemory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code inmemory-produce}: a producer appends N payloads in batches to a fresh {@code memory:}
 * topic, which keeps them; the round ends when the last batch is acknowledged. Baseline: bare
 * Jackson encodes the same payloads into an array it keeps, so both sides retain what they wrote.
 */
public final class InMemoryProduce implements Scenario {
    private Settings settings;
    private Payloads payloads;
    private int messages;
    private ObjectWriter writer;

    @Override
    public String name() {
        return "inmemory-produce";
    }

    @Override
    public String description() {
        return "appendAll batches of N payloads to a memory: topic vs bare Jackson encode into a kept array";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "one batch, appendAll -> acknowledged";
    }

    @Override
    public void setUp(Settings settings) {
        this.settings = settings;
        this.messages = settings.messagesOr(1_000_000);
        this.payloads = new Payloads(settings.payloadBytes());
        this.writer = new ObjectMapper().writerFor(BenchPayload.class);
    }

    @Override
    public Round framework(int round) {
        Histogram latencies = Round.newHistogram();
        Topic<BenchPayload> topic = Topic.of("bench-produce-" + round, BenchPayload.class);
        try (Streamable streamable = Streamable.open("memory:");
             Producer<BenchPayload> producer = streamable.producer(topic)) {
            long start = System.nanoTime();
            int batchSize = settings.batchSize();
            for (int from = 0; from < messages; from += batchSize) {
                int to = Math.min(messages, from + batchSize);
                List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                for (int seq = from; seq < to; seq++) {
                    batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                }
                long sent = System.nanoTime();
                producer.appendAll(batch).join();
                latencies.recordValue(System.nanoTime() - sent);
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        Histogram latencies = Round.newHistogram();
        byte[][] kept = new byte[messages][];
        int batchSize = settings.batchSize();
        long start = System.nanoTime();
        for (int from = 0; from < messages; from += batchSize) {
            int to = Math.min(messages, from + batchSize);
            long sent = System.nanoTime();
            for (int seq = from; seq < to; seq++) {
                kept[seq] = writer.writeValueAsBytes(payloads.next(seq));
            }
            latencies.recordValue(System.nanoTime() - sent);
        }
        long elapsed = System.nanoTime() - start;
        if (kept[messages - 1] == null) {
            throw new IllegalStateException("Bare Jackson did not encode every payload");
        }
        return new Round(messages, elapsed, latencies);
    }
}
