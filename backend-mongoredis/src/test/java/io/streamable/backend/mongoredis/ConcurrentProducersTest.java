package io.streamable.backend.mongoredis;

import io.streamable.Message;
import io.streamable.Position;
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
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prototype's bug: ids reserved from a counter and inserted afterwards let a consumer read id
 * 5 before id 4 was committed and never see 4. Here 8 producers, each with its own connection
 * (as separate processes would), append at once while a consumer streams. The test runs on an
 * embedded MongoDB of its own, which counts the inserts it refuses for a duplicate key: proof that
 * producers did race for the same ids and the unique index settled it.
 */
class ConcurrentProducersTest {
    record Event(String producer, int sequence) {
    }

    private static final int PRODUCERS = 8;
    private static final int PER_PRODUCER = 120;

    @Test
    @DisplayName("8 racing producers while a consumer streams: every message exactly once, per-key order, no gaps")
    void racingProducers() throws Exception {
        String database = TestServers.freshDatabase();
        Topic<Event> topic = Topic.of("race", Event.class);
        List<Streamable> connections = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        TestServers.EmbeddedMongo mongo = TestServers.startMongo();
        String url = TestServers.urlFor(mongo.uri(), TestServers.redisUri(), database);
        try {
            Streamable consumerSide = open(url, connections);
            List<Message<Event>> received = new CopyOnWriteArrayList<>();
            CountDownLatch sentinel = new CountDownLatch(1);
            Consumer<Event> consumer = consumerSide.consumer(topic).batchSize(37)
                    .handler(message -> {
                        received.add(message);
                        if (message.payload().sequence() < 0) {
                            sentinel.countDown();
                        }
                    })
                    .start();

            long conflictsBefore = mongo.duplicateKeyErrors();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                String name = "p" + p;
                Producer<Event> producer = open(url, connections).producer(topic);
                producers.add(pool.submit(() -> {
                    go.await();
                    int sequence = 0;
                    while (sequence < PER_PRODUCER) {
                        if (sequence % 3 == 0) {
                            // a batch: one insertMany claiming a contiguous range
                            List<OutgoingMessage<Event>> batch = new ArrayList<>();
                            for (int i = 0; i < 4 && sequence < PER_PRODUCER; i++) {
                                batch.add(OutgoingMessage.of(name, new Event(name, sequence++)));
                            }
                            producer.appendAllAndWait(batch);
                        } else {
                            producer.appendAndWait(name, new Event(name, sequence++));
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> producer : producers) {
                producer.get(120, TimeUnit.SECONDS);
            }
            open(url, connections).producer(topic).appendAndWait("end", new Event("end", -1));
            assertThat(sentinel.await(60, TimeUnit.SECONDS)).as("the consumer reached the last message").isTrue();
            consumer.close();

            assertThat(mongo.duplicateKeyErrors() - conflictsBefore)
                    .as("producers raced for the same ids, and the unique index settled it").isPositive();
            // exactly once: nothing missing, nothing twice
            List<Message<Event>> events = received.stream().filter(m -> m.payload().sequence() >= 0).toList();
            assertThat(events).hasSize(PRODUCERS * PER_PRODUCER);
            assertThat(new HashSet<>(events.stream().map(Message::payload).toList())).hasSize(PRODUCERS * PER_PRODUCER);
            // per-key order, and positions strictly increasing in delivery order
            Map<String, Integer> lastSequence = new HashMap<>();
            long lastOffset = 0;
            for (Message<Event> message : received) {
                Event event = message.payload();
                if (event.sequence() >= 0) {
                    Integer previous = lastSequence.put(event.producer(), event.sequence());
                    assertThat(event.sequence()).as("order of " + event.producer())
                            .isEqualTo(previous == null ? 0 : previous + 1);
                }
                assertThat(message.position().offset()).isGreaterThan(lastOffset);
                lastOffset = message.position().offset();
            }
            // the stored ids form 1..N without a hole
            assertThat(lastOffset).isEqualTo(PRODUCERS * PER_PRODUCER + 1);
            try (TopicReader reader = consumerSide.backend().topic("race")
                    .openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                ReadBatch all = reader.read(10_000, Duration.ZERO);
                assertThat(all.records()).extracting(r -> r.position().offset())
                        .isEqualTo(java.util.stream.LongStream.rangeClosed(1, lastOffset).boxed().toList());
                assertThat(all.records().get(all.records().size() - 1).position()).isEqualTo(Position.of(lastOffset));
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
