package io.streamable.faults;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A named consumer process of the fault suite, using only the public API. Its handler writes every
 * delivered message to the delivery log and flushes before returning, so what the log holds was
 * handled before the consumer could acknowledge it.
 *
 * <p>Prints {@code started} once {@code start()} returned (the name is its), {@code caught-up} each
 * time it caught up, and {@code stopped <cause>} (exit 3) if a failure stopped it, for example
 * when it finds its name taken over. Closes cleanly when its standard input closes (or after {@link ProducerMain#MAX_RUNTIME}): prints
 * {@code closed} and exits 0. Exits 2 if {@code start()} fails.
 *
 * <p>Arguments: URL, topic, consumer name, concurrency, commit every N messages, commit interval
 * in ms, batch size, delivery log, and optionally a handling log: one line per delivery,
 * {@code key incarnation seq startMicros endMicros}, the wall clock (epoch microseconds) when the
 * handler began and when it had written the delivery. Every child runs on one machine and reads
 * the same system clock, so intervals of different processes can be compared.
 */
public final class ConsumerMain {
    private ConsumerMain() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Topic<Tick> topic = Topic.of(args[1], Tick.class);
        String name = args[2];
        int concurrency = Integer.parseInt(args[3]);
        int commitMessages = Integer.parseInt(args[4]);
        Duration commitInterval = Duration.ofMillis(Long.parseLong(args[5]));
        int batchSize = Integer.parseInt(args[6]);
        Path deliveryLog = Path.of(args[7]);
        BufferedWriter handling = args.length > 8 ? Files.newBufferedWriter(Path.of(args[8]), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND) : null;
        CountDownLatch stop = ProducerMain.watchStandardInput();
        Streamable streamable = Streamable.open(url);
        BufferedWriter log = Files.newBufferedWriter(deliveryLog, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Consumer<Tick> consumer;
        try {
            consumer = streamable.consumer(topic).name(name)
                    .startFrom(StartFrom.beginning())
                    .concurrency(concurrency)
                    .commitEvery(commitMessages, commitInterval)
                    .batchSize(batchSize)
                    .failurePolicy(FailurePolicy.defaults())
                    .onCaughtUp(() -> ProducerMain.say("caught-up"))
                    .onFailure(failure -> System.err.println("consumer failure: " + failure))
                    .handler(message -> record(log, handling, message))
                    .start();
        } catch (RuntimeException e) {
            ProducerMain.say("start-failed " + oneLine(e));
            e.printStackTrace();
            System.exit(2);
            return;
        }
        ProducerMain.say("started");
        consumer.stopped().whenComplete((ignored, failure) -> {
            if (failure != null) {
                ProducerMain.say("stopped " + oneLine(failure));
                failure.printStackTrace();
                System.exit(3);
            }
        });
        if (!stop.await(ProducerMain.MAX_RUNTIME.toMillis(), TimeUnit.MILLISECONDS)) {
            System.err.println("nobody asked this consumer to stop within " + ProducerMain.MAX_RUNTIME + "; stopping");
        }
        consumer.close();
        streamable.close();
        ProducerMain.say("closed");
        System.exit(0);
    }

    private static void record(BufferedWriter log, BufferedWriter handling, Message<Tick> message) throws IOException {
        long start = micros();
        Tick tick = message.payload();
        String line = new Entry(tick.key(), tick.incarnation(), tick.seq(), message.logCompactId(),
                message.position().encode()).line();
        // one lock: with concurrency above one, several lanes write; one key's lines stay in handler order
        synchronized (log) {
            log.write(line);
            log.write('\n');
            log.flush();
            if (handling != null) {
                // written after the delivery line is flushed: the interval covers the whole handling
                handling.write(tick.key() + ' ' + tick.incarnation() + ' ' + tick.seq() + ' ' + start + ' ' + micros());
                handling.write('\n');
                handling.flush();
            }
        }
    }

    private static long micros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static String oneLine(Throwable failure) {
        return String.valueOf(failure).replace('\n', ' ');
    }
}
