package io.streamable.faults;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A producer process of the fault suite, using only the public API. It appends {@link Tick}s round
 * robin over its own sharding keys ({@code <producer>-k0 ...}); the first half of the keys carry
 * one of three logCompactIds each ({@code <key>#0..2}), so compaction runs all the time. Every
 * acknowledged append is written to the ack log (and flushed) from the future's completion, before
 * anything else counts it. Up to {@value #IN_FLIGHT} appends are in flight at once; a failed
 * append is counted and not retried: it may or may not be stored, and the oracle asks nothing of it.
 *
 * <p>Prints {@code ready} once its producer is open and {@code acked} at its first acknowledgement.
 * Stops when its standard input closes (or after {@link #MAX_RUNTIME}, should nobody ask): waits for the appends in flight, prints
 * {@code done acked=N failed=M} and exits 0.
 *
 * <p>Arguments: URL, topic, producer id, incarnation, number of keys, messages per second, ack log.
 */
public final class ProducerMain {
    static final int IN_FLIGHT = 32;
    /** A child outlives no suite: it stops by itself after this long even if nobody asks. */
    static final Duration MAX_RUNTIME = Duration.ofMinutes(30);

    private ProducerMain() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        Topic<Tick> topic = Topic.of(args[1], Tick.class);
        String producerId = args[2];
        int incarnation = Integer.parseInt(args[3]);
        int keys = Integer.parseInt(args[4]);
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / Integer.parseInt(args[5]);
        Path ackLog = Path.of(args[6]);
        CountDownLatch stop = watchStandardInput();
        AtomicLong acked = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean firstAck = new AtomicBoolean();
        Semaphore window = new Semaphore(IN_FLIGHT);
        try (Streamable streamable = Streamable.open(url);
             BufferedWriter acks = Files.newBufferedWriter(ackLog, StandardCharsets.UTF_8,
                     StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            Producer<Tick> producer = streamable.producer(topic);
            say("ready");
            long next = System.nanoTime();
            long end = next + MAX_RUNTIME.toNanos();
            long seq = 0;
            while (stop.getCount() > 0 && System.nanoTime() < end) {
                // pacing the appends is the load's shape, not synchronisation
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                    continue;
                }
                next += intervalNanos;
                if (!window.tryAcquire(1, TimeUnit.SECONDS)) {
                    next = System.nanoTime();
                    continue;
                }
                seq++;
                int keyIndex = (int) (seq % keys);
                String key = producerId + "-k" + keyIndex;
                Optional<String> compactId = keyIndex < keys / 2 ? Optional.of(key + "#" + seq % 3) : Optional.empty();
                OutgoingMessage<Tick> message = OutgoingMessage.of(key, new Tick(key, incarnation, seq));
                if (compactId.isPresent()) {
                    message = message.withLogCompactId(compactId.get());
                }
                long number = seq;
                producer.append(message).whenComplete((position, failure) -> {
                    try {
                        if (failure == null) {
                            write(acks, new Entry(key, incarnation, number, compactId, position.encode()));
                            acked.incrementAndGet();
                            if (firstAck.compareAndSet(false, true)) {
                                say("acked");
                            }
                        } else if (failed.incrementAndGet() % 100 == 1) {
                            System.err.println("append failed (" + failed.get() + " so far): " + failure);
                        }
                    } finally {
                        window.release();
                    }
                });
            }
            // Kafka fails an append after its 2-minute delivery timeout, so this wait ends before the parent's
            if (!window.tryAcquire(IN_FLIGHT, 150, TimeUnit.SECONDS)) {
                System.err.println("appends still in flight after 150 s; exiting without them");
            }
            say("done acked=" + acked.get() + " failed=" + failed.get());
        }
        System.exit(0);
    }

    private static void write(BufferedWriter acks, Entry entry) {
        synchronized (acks) {
            try {
                acks.write(entry.line());
                acks.write('\n');
                acks.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not record an acknowledgement", e);
            }
        }
    }

    static void say(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** Counts down when standard input closes: the parent's way to ask for a clean stop, and the parent's death. */
    static CountDownLatch watchStandardInput() {
        CountDownLatch closed = new CountDownLatch(1);
        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // only the end matters
                }
            } catch (IOException e) {
                // a broken pipe ends it too
            } finally {
                closed.countDown();
            }
        }, "stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
        return closed;
    }
}
