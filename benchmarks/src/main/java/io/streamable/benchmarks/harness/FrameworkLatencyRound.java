package io.streamable.benchmarks.harness;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import org.HdrHistogram.Histogram;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The framework side of every produce-to-handler latency scenario: a consumer from the beginning
 * of a fresh topic, and a producer appending at the paced rate, each message stamped with its due
 * send time. One implementation, so backends differ only in what they are.
 */
public final class FrameworkLatencyRound {

    private FrameworkLatencyRound() {
    }

    /**
     * Runs one round on {@code topic}.
     *
     * @param awaitEachAppend wait for each append before the next (a backend whose appends are
     *                        synchronous round trips anyway), or only for the last one
     */
    public static Round run(Streamable streamable, Topic<BenchPayload> topic, Settings settings, Payloads payloads,
                            int messages, boolean awaitEachAppend) throws InterruptedException {
        return run(streamable, streamable, topic, settings, payloads, messages, awaitEachAppend);
    }

    /**
     * The same with the producer and the consumer on different connections, as in two processes:
     * a backend cannot wake the consumer from inside the producer's connection.
     *
     * @param producing the connection the producer appends through
     * @param consuming the connection the consumer reads through
     * @param topic the topic, fresh for this round
     * @param settings the run's settings (rate, batch size)
     * @param payloads the payload ingredients
     * @param messages how many messages to send
     * @param awaitEachAppend wait for each append before the next, or only for the last one
     * @return the round, latencies from each message's due send time to its handler
     * @throws InterruptedException if interrupted while waiting for the consumer
     */
    public static Round run(Streamable producing, Streamable consuming, Topic<BenchPayload> topic, Settings settings,
                            Payloads payloads, int messages, boolean awaitEachAppend) throws InterruptedException {
        Histogram latencies = Round.newHistogram();
        CountDownLatch allHandled = new CountDownLatch(1);
        long[] handled = {0};
        try (Producer<BenchPayload> producer = producing.producer(topic)) {
            consuming.consumer(topic)
                    .startFrom(StartFrom.beginning())
                    .batchSize(settings.batchSize())
                    .handler(message -> {
                        latencies.recordValue(System.nanoTime() - message.payload().sentNanos());
                        if (++handled[0] == messages) {
                            allHandled.countDown();
                        }
                    })
                    .start();
            Pacer pacer = new Pacer(settings.latencyRate());
            long start = System.nanoTime();
            CompletableFuture<?> last = CompletableFuture.completedFuture(null);
            for (int seq = 0; seq < messages; seq++) {
                long due = pacer.awaitTurn(seq);
                last = producer.append(payloads.key(seq), payloads.dueAt(seq, due));
                if (awaitEachAppend) {
                    last.join();
                }
            }
            last.join();
            if (!allHandled.await(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("The consumer handled " + handled[0] + " of " + messages
                        + " messages within a minute of the last append");
            }
            return new Round(messages, System.nanoTime() - start, latencies);
        }
    }
}
