package io.streamable.benchmarks.inmemory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code inmemory-e2e}: a producer appends N small JSON payloads in batches to a {@code memory:}
 * topic while a consumer started before it counts them; the round ends when the consumer's handler
 * has seen the last one. Baseline: the same payloads encoded and decoded by bare Jackson on one
 * thread, the work the framework cannot avoid.
 */
public final class InMemoryEndToEnd implements Scenario {
    private static final int DEFAULT_MESSAGES = 1_000_000;

    private Settings settings;
    private Payloads payloads;
    private int messages;
    private ObjectWriter writer;
    private ObjectReader reader;

    @Override
    public String name() {
        return "inmemory-e2e";
    }

    @Override
    public String description() {
        return "produce (appendAll batches) -> consume N payloads on memory: vs bare Jackson encode+decode";
    }

    @Override
    public int defaultRounds() {
        return 5; // a round takes about a second, and the ratio is what the foundation issue asks for
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "payload created -> handler, queueing included";
    }

    @Override
    public void setUp(Settings settings) {
        this.settings = settings;
        this.messages = settings.messagesOr(DEFAULT_MESSAGES);
        this.payloads = new Payloads(settings.payloadBytes());
        ObjectMapper mapper = new ObjectMapper();
        this.writer = mapper.writerFor(BenchPayload.class);
        this.reader = mapper.readerFor(BenchPayload.class);
    }

    @Override
    public Round framework(int round) throws Exception {
        Histogram latencies = Round.newHistogram();
        Topic<BenchPayload> topic = Topic.of("bench-e2e-" + round, BenchPayload.class);
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        try (Streamable streamable = Streamable.open("memory:")) {
            Consumer<BenchPayload> consumer = streamable.consumer(topic)
                    .startFrom(StartFrom.beginning())
                    .batchSize(settings.batchSize())
                    .handler(message -> {
                        // one consumer thread: plain fields are safe here, the latch publishes them
                        latencies.recordValue(System.nanoTime() - message.payload().sentNanos());
                        if (++handled[0] == messages) {
                            allHandled.countDown();
                        }
                    })
                    .start();
            long start = System.nanoTime();
            try (Producer<BenchPayload> producer = streamable.producer(topic)) {
                int batchSize = settings.batchSize();
                for (int from = 0; from < messages; from += batchSize) {
                    int to = Math.min(messages, from + batchSize);
                    List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                    for (int seq = from; seq < to; seq++) {
                        batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                    }
                    producer.appendAll(batch).join();
                }
            }
            if (!allHandled.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within 5 minutes");
            }
            long elapsed = System.nanoTime() - start;
            consumer.close();
            return new Round(messages, elapsed, latencies);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        Histogram latencies = Round.newHistogram();
        long checksum = 0;
        long start = System.nanoTime();
        for (int seq = 0; seq < messages; seq++) {
            byte[] json = writer.writeValueAsBytes(payloads.next(seq));
            BenchPayload decoded = reader.readValue(json);
            latencies.recordValue(System.nanoTime() - decoded.sentNanos());
            checksum += decoded.seq();
        }
        long elapsed = System.nanoTime() - start;
        if (checksum != (long) messages * (messages - 1) / 2) {
            throw new IllegalStateException("Bare Jackson decoded different payloads than it encoded");
        }
        return new Round(messages, elapsed, latencies);
    }
}
