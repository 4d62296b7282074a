package io.streamable.backend.mongoredis;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 13's unfair appends: connections (each its own MongoDB client, as separate processes
 * would be) append to one topic at once, one message or a small batch per call, until together
 * they have stored a fixed number. Every acknowledged message is read exactly once, in order per
 * producer, at dense ids; each connection's share of the ids and the races lost are printed. Before
 * the claim after a lost race took the id after the one lost to (see {@code MongoTopicStore.insert}),
 * the connection that had written last kept winning (shares of 11/13/59 % over 3 processes).
 */
class FairAppendsTest {
    record Event(String producer, int sequence) {
    }

    private static final int CONNECTIONS = 3;
    private static final int TOTAL = 3_000;

    @Test
    @DisplayName("3 connections appending at once: every acknowledged message once, in order, at dense ids; shares reported")
    void connectionsShareTheIds() throws Exception {
        String database = TestServers.freshDatabase();
        Topic<Event> topic = Topic.of("fair", Event.class);
        List<Streamable> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS);
        TestServers.EmbeddedMongo mongo = TestServers.startMongo();
        String url = TestServers.urlFor(mongo.uri(), TestServers.redisUri(), database);
        try {
            Streamable consumerSide = open(url, connections);
            List<Message<Event>> received = new CopyOnWriteArrayList<>();
            Consumer<Event> consumer = consumerSide.consumer(topic).startFrom(StartFrom.beginning()).batchSize(100)
                    .handler(received::add)
                    .start();

            long conflictsBefore = mongo.duplicateKeyErrors();
            AtomicInteger stored = new AtomicInteger();
            int[] acknowledged = new int[CONNECTIONS];
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> producers = new ArrayList<>();
            for (int p = 0; p < CONNECTIONS; p++) {
                int index = p;
                String name = "p" + p;
                Producer<Event> producer = open(url, connections).producer(topic);
                producer.appendAndWait("warm-up-" + name, new Event("warm-up", 0)); // connected, indexes made
                producers.add(pool.submit(() -> {
                    go.await();
                    int sequence = 0;
                    while (stored.get() < TOTAL) {
                        int count;
                        if (sequence % 10 == 9) {
                            List<OutgoingMessage<Event>> batch = new ArrayList<>();
                            for (int i = 0; i < 3; i++) {
                                batch.add(OutgoingMessage.of(name, new Event(name, sequence++)));
                            }
                            producer.appendAllAndWait(batch);
                            count = batch.size();
                        } else {
                            producer.appendAndWait(name, new Event(name, sequence++));
                            count = 1;
                        }
                        acknowledged[index] += count;
                        stored.addAndGet(count);
                    }
                    return null;
                }));
            }
            long start = System.nanoTime();
            go.countDown();
            for (Future<?> producer : producers) {
                producer.get(120, TimeUnit.SECONDS);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long lostRaces = mongo.duplicateKeyErrors() - conflictsBefore;
            int total = stored.get();
            int warmUps = CONNECTIONS;
            await().atMost(Duration.ofSeconds(60)).until(() -> received.size() >= total + warmUps);
            consumer.close();

            StringBuilder shares = new StringBuilder();
            for (int p = 0; p < CONNECTIONS; p++) {
                shares.append(String.format(Locale.ROOT, " p%d %d (%.0f %%)", p, acknowledged[p],
                        100.0 * acknowledged[p] / total));
            }
            System.out.println("FairAppendsTest: " + total + " messages from " + CONNECTIONS + " connections in "
                    + String.format(Locale.ROOT, "%.2f s", seconds) + ":" + shares
                    + "; lost races " + lostRaces);

            // exactly once: every acknowledged message, nothing twice
            List<Message<Event>> events = received.stream().filter(m -> !m.payload().producer().equals("warm-up")).toList();
            assertThat(events).hasSize(total);
            assertThat(new HashSet<>(events.stream().map(Message::payload).toList())).hasSize(total);
            // per producer in order, positions strictly increasing in delivery order
            Map<String, Integer> lastSequence = new HashMap<>();
            long lastOffset = 0;
            for (Message<Event> message : received) {
                Event event = message.payload();
                if (!event.producer().equals("warm-up")) {
                    Integer previous = lastSequence.put(event.producer(), event.sequence());
                    assertThat(event.sequence()).as("order of " + event.producer())
                            .isEqualTo(previous == null ? 0 : previous + 1);
                }
                assertThat(message.position().offset()).isGreaterThan(lastOffset);
                lastOffset = message.position().offset();
            }
            for (int p = 0; p < CONNECTIONS; p++) {
                assertThat(lastSequence.get("p" + p)).as("p%d's last message", p).isEqualTo(acknowledged[p] - 1);
            }
            // the stored ids are 1..N without a hole
            assertThat(lastOffset).isEqualTo(total + warmUps);
            try (TopicReader reader = consumerSide.backend().topic("fair")
                    .openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                ReadBatch all = reader.read(10_000, Duration.ZERO);
                assertThat(all.records()).extracting(r -> r.position().offset())
                        .isEqualTo(LongStream.rangeClosed(1, lastOffset).boxed().toList());
            }
            // every connection got a share: none starved while another kept the ids (a loose bound, not a speed target)
            for (int p = 0; p < CONNECTIONS; p++) {
                assertThat(acknowledged[p]).as("p%d's share of %d", p, total).isGreaterThan(total / (4 * CONNECTIONS));
            }
        } finally {
            pool.shutdownNow();
            connections.forEach(Streamable::close);
            mongo.close();
        }
    }

    private static Streamable open(String url, List<Streamable> connections) {
        Streamable streamable = Streamable.open(url);
        connections.add(streamable);
        return streamable;
    }
}
