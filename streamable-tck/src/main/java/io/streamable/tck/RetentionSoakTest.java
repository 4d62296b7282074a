package io.streamable.tck;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.Topic;
import io.streamable.TopicDescription;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.RetentionGap;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.tck.ContractPayloads.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention under load (issue 17): one producer appends continuously to a topic with an age
 * limit while a named consumer keeps up. Storage stays bounded (the oldest stored message is
 * never much older than the limit), the consumer receives every message exactly once and in
 * order, and it is never told of a gap (it kept up). By default a short run (limit 3 s, 10 s of
 * appends); {@code -Dstreamable.soak=long} uses the 30 s limit for 3 minutes.
 */
public abstract class RetentionSoakTest {
    /** The system property that selects the long run: {@code -Dstreamable.soak=long}. */
    public static final String SOAK_PROPERTY = "streamable.soak";
    private static final boolean LONG = "long".equals(System.getProperty(SOAK_PROPERTY));
    private static final Duration AGE = LONG ? Duration.ofSeconds(30) : Duration.ofSeconds(3);
    private static final Duration RUN = LONG ? Duration.ofMinutes(3) : Duration.ofSeconds(10);
    private static final int BATCH = 20;
    /** The producer waits while the consumer is this many messages behind: a consumer that keeps up. */
    private static final int WINDOW = 2_000;

    private final TestResources resources = new TestResources(this::fixture);

    /**
     * The backend under test.
     *
     * @return its fixture
     */
    protected abstract BackendFixture fixture();

    /**
     * How late past the age limit the backend may remove a message: its sweep interval and a margin.
     *
     * @return the slack allowed on top of the age limit
     */
    protected Duration removalSlack() {
        return Duration.ofSeconds(3);
    }

    @AfterEach
    void closeWhatTheTestOpened() throws Exception {
        resources.closeAll();
    }

    @Test
    @DisplayName("continuous appends under an age limit: storage bounded, a consumer that keeps up loses nothing")
    void soak() throws Exception {
        Streamable streamable = resources.connect();
        Topic<Event> topic = Topic.of("tck-soak-" + UUID.randomUUID(), Event.class);
        streamable.configureTopic(topic.name(), Retention.maxAge(AGE));
        Producer<Event> producer = streamable.producer(topic);

        List<Integer> received = new ArrayList<>(); // guarded by itself; the handler notifies the producer
        List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
        Consumer<Event> consumer = resources.connect().consumer(topic).name("keeps-up")
                .handler((Message<Event> message) -> {
                    synchronized (received) {
                        received.add(message.payload().seq());
                        received.notifyAll();
                    }
                })
                .onRetentionGap(gaps::add).start();

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger appended = new AtomicInteger();
        AtomicReference<Throwable> producerFailure = new AtomicReference<>();
        Thread appender = new Thread(() -> {
            try {
                while (!stop.get()) {
                    int first = appended.get();
                    synchronized (received) {
                        while (first - received.size() > WINDOW && !stop.get()) {
                            received.wait(100); // woken by the handler; the timeout only rechecks stop
                        }
                    }
                    producer.appendAllAndWait(IntStream.range(first, first + BATCH)
                            .mapToObj(seq -> OutgoingMessage.of("k" + seq % 4, new Event("k" + seq % 4, 0, seq))).toList());
                    appended.addAndGet(BATCH);
                }
            } catch (Throwable e) {
                producerFailure.set(e);
            }
        }, "soak-appender");
        appender.start();

        Instant end = Instant.now().plus(RUN);
        AtomicLong maxStored = new AtomicLong();
        AtomicLong maxOldestAgeMillis = new AtomicLong();
        List<String> violations = new ArrayList<>();
        Duration bound = AGE.plus(removalSlack());
        Awaitility.await("the soak run").atMost(RUN.plusSeconds(30)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    TopicDescription now = streamable.describeTopic(topic.name());
                    Instant sampled = Instant.now();
                    now.oldestCreatedAt().ifPresent(oldest -> {
                        long age = Duration.between(oldest, sampled).toMillis();
                        maxOldestAgeMillis.accumulateAndGet(age, Math::max);
                        if (age > bound.toMillis()) {
                            synchronized (violations) {
                                violations.add("at " + sampled + " the oldest message was " + age + " ms old");
                            }
                        }
                    });
                    if (now.oldest().isPresent() && now.newest().isPresent()) {
                        maxStored.accumulateAndGet(stored(now.oldest().get(), now.newest().get()), Math::max);
                    }
                    return sampled.isAfter(end) || producerFailure.get() != null;
                });
        stop.set(true);
        appender.join(Duration.ofSeconds(30).toMillis());
        assertThat(producerFailure.get()).as("the producer's failure").isNull();
        int total = appended.get();
        Awaitility.await("the consumer received all " + total).atMost(Duration.ofSeconds(60)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(50)).until(() -> count(received) >= total);
        consumer.close();
        TopicDescription last = streamable.describeTopic(topic.name());

        System.out.printf("SOAK %s: retention %s, %d s of appends, %d messages appended, at most %d positions stored,"
                        + " oldest stored at most %d ms old, %d received, %d gaps%n", streamable, AGE, RUN.toSeconds(),
                total, maxStored.get(), maxOldestAgeMillis.get(), count(received), gaps.size());
        assertThat(violations).as("storage bounded by the age limit plus " + removalSlack()).isEmpty();
        assertThat(List.copyOf(received)).as("every message exactly once, in order").isEqualTo(IntStream.range(0, total).boxed().toList());
        assertThat(gaps).as("a consumer that kept up is never told of a gap").isEmpty();
        assertThat(last.oldest()).as("retention removed a prefix").hasValueSatisfying(oldest ->
                assertThat(oldest.offsets().values()).allSatisfy(offset -> assertThat(offset).isGreaterThan(1L)));
    }

    private static int count(List<Integer> received) {
        synchronized (received) {
            return received.size();
        }
    }

    private static long stored(Position oldest, Position newest) {
        long count = 0;
        for (var entry : newest.offsets().entrySet()) {
            count += entry.getValue() - oldest.offset(entry.getKey()).orElse(0) + 1;
        }
        return count;
    }
}
