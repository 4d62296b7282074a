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
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code inmemory-consume} and {@code inmemory-catchup}: a consumer reads a {@code memory:} topic
 * of N messages filled before the round; the round ends when its handler has seen the last one.
 * The catch-up variant uses a <em>named</em> consumer (a new name each round, so it starts
 * N messages behind and commits as it goes). Baseline: bare Jackson decodes the same payloads from
 * bytes encoded in set-up (up to {@value #KEPT} distinct encodings and 64 MB of them, cycled, so
 * large sweeps fit in the heap next to the topic).
 */
public final class InMemoryConsume implements Scenario {
    /** The most encoded payloads the baseline keeps; it cycles through them for larger N. */
    static final int KEPT = 100_000;
    /** ... and at most this many bytes of them, so the baseline's heap does not crowd the topic's. */
    static final long KEPT_BYTES = 64L << 20;

    private final boolean named;
    private Settings settings;
    private int messages;
    private Streamable streamable;
    private Topic<BenchPayload> topic;
    private byte[][] encoded;
    private ObjectReader reader;

    private InMemoryConsume(boolean named) {
        this.named = named;
    }

    /** {@return the scenario with an anonymous consumer from the beginning} */
    public static InMemoryConsume anonymous() {
        return new InMemoryConsume(false);
    }

    /** {@return the scenario with a named consumer N messages behind} */
    public static InMemoryConsume catchUp() {
        return new InMemoryConsume(true);
    }

    @Override
    public String name() {
        return named ? "inmemory-catchup" : "inmemory-consume";
    }

    @Override
    public String description() {
        return (named ? "named consumer N messages behind catches up on" : "consumer from the beginning of")
                + " an N-message memory: topic vs bare Jackson decode";
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "gap between consecutive messages";
    }

    @Override
    public void setUp(Settings settings) {
        this.settings = settings;
        this.messages = settings.messagesOr(1_000_000);
        Payloads payloads = new Payloads(settings.payloadBytes());
        ObjectMapper mapper = new ObjectMapper();
        ObjectWriter writer = mapper.writerFor(BenchPayload.class);
        this.reader = mapper.readerFor(BenchPayload.class);
        long start = System.nanoTime();
        streamable = Streamable.open("memory:");
        topic = Topic.of("bench-consume", BenchPayload.class);
        try (Producer<BenchPayload> producer = streamable.producer(topic)) {
            for (int from = 0; from < messages; from += 1000) {
                int to = Math.min(messages, from + 1000);
                List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                for (int seq = from; seq < to; seq++) {
                    batch.add(OutgoingMessage.of(payloads.key(seq), payloads.next(seq)));
                }
                producer.appendAll(batch).join();
            }
        }
        encoded = new byte[(int) Math.min(messages, Math.min(KEPT, KEPT_BYTES / settings.payloadBytes()))][];
        try {
            for (int seq = 0; seq < encoded.length; seq++) {
                encoded[seq] = writer.writeValueAsBytes(payloads.next(seq));
            }
        } catch (Exception e) {
            throw new IllegalStateException("Jackson cannot encode the benchmark payload", e);
        }
        System.out.printf("filled memory: topic with %,d messages in %.1f s%n", messages, (System.nanoTime() - start) / 1e9);
    }

    @Override
    public Round framework(int round) throws Exception {
        Histogram gaps = Round.newHistogram();
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        long[] previous = {0};
        ConsumerBuilder<BenchPayload> builder = streamable.consumer(topic).startFrom(StartFrom.beginning())
                .batchSize(settings.batchSize())
                .handler(message -> {
                    long now = System.nanoTime();
                    gaps.recordValue(now - previous[0]);
                    previous[0] = now;
                    if (++handled[0] == messages) {
                        allHandled.countDown();
                    }
                });
        if (named) {
            builder = builder.name("catchup-" + round);
        }
        long start = System.nanoTime();
        previous[0] = start;
        try (var consumer = builder.start()) {
            if (!allHandled.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within 5 minutes");
            }
            return new Round(messages, System.nanoTime() - start, gaps);
        }
    }

    @Override
    public Round baseline(int round) throws Exception {
        Histogram gaps = Round.newHistogram();
        long checksum = 0;
        long start = System.nanoTime();
        long previous = start;
        for (int seq = 0; seq < messages; seq++) {
            BenchPayload payload = reader.readValue(encoded[seq % encoded.length]);
            checksum += payload.seq();
            long now = System.nanoTime();
            gaps.recordValue(now - previous);
            previous = now;
        }
        long elapsed = System.nanoTime() - start;
        if (checksum < 0) {
            throw new IllegalStateException("Decoded a negative sequence number");
        }
        return new Round(messages, elapsed, gaps);
    }

    @Override
    public void close() {
        if (streamable != null) {
            streamable.close();
            streamable = null;
        }
    }
}
