package io.streamable.backend.mongoredis;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.Backend;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The mongoredis backend on real servers: storage layout, signals, leases, bookkeeping, bad input. */
class MongoRedisBackendTest {
    record Greeting(String name, boolean isGreat) {
    }

    private static final Topic<Greeting> GREETINGS = Topic.of("greetings", Greeting.class);

    private String database;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void database() {
        database = TestServers.freshDatabase();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private Streamable streamable(String... options) {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, options));
        open.add(streamable);
        return streamable;
    }

    private static AppendRecord record(String key, String payload) {
        return new AppendRecord(key, Optional.empty(), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(StoredRecord record) {
        return new String(record.payload(), StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("appends get consecutive positions from 1, a batch a contiguous range, and read back in order")
    void positionsAreConsecutive() throws Exception {
        TopicStore store = streamable().backend().topic("orders");
        assertThat(store.append(List.of(record("a", "1"))).get()).containsExactly(Position.of(1));
        assertThat(store.append(List.of(record("a", "2"), record("b", "3"), record("a", "4"))).get())
                .containsExactly(Position.of(2), Position.of(3), Position.of(4));
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            ReadBatch batch = reader.read(10, Duration.ZERO);
            assertThat(batch.records()).extracting(MongoRedisBackendTest::text).containsExactly("1", "2", "3", "4");
            assertThat(batch.caughtUp()).isTrue();
            assertThat(reader.startPosition()).isEmpty();
        }
        assertThat(store.lag(Optional.empty())).isEqualTo(4);
        assertThat(store.lag(Optional.of(Position.of(1)))).isEqualTo(3);
    }

    @Test
    @DisplayName("sharding key, compaction id, headers and payload survive the round trip")
    void recordRoundTrip() throws Exception {
        TopicStore store = streamable().backend().topic("orders");
        AppendRecord sent = new AppendRecord("customer-42", Optional.of("order-7"),
                Map.of("streamable.schema", "v2", "source", "checkout"), new byte[] {0, 1, (byte) 0xff});
        store.append(List.of(sent)).get();
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            StoredRecord read = reader.read(10, Duration.ZERO).records().get(0);
            assertThat(read.shardingKey()).isEqualTo("customer-42");
            assertThat(read.logCompactId()).contains("order-7");
            assertThat(read.headers()).isEqualTo(sent.headers());
            assertThat(read.payload()).containsExactly(0, 1, 0xff);
            assertThat(read.createdAt()).isNotNull();
        }
    }

    @Test
    @DisplayName("a reader reads a long backlog in pages, caught up only at the end")
    void pagedCatchUp() throws Exception {
        TopicStore store = streamable().backend().topic("backlog");
        List<AppendRecord> records = IntStream.rangeClosed(1, 250).mapToObj(i -> record("k", "m" + i)).toList();
        store.append(records).get();
        List<String> read = new ArrayList<>();
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            ReadBatch batch;
            do {
                batch = reader.read(100, Duration.ZERO);
                batch.records().forEach(record -> read.add(text(record)));
            } while (!batch.caughtUp());
        }
        assertThat(read).containsExactlyElementsOf(records.stream().map(MongoRedisBackendTest::textOf).toList());
    }

    private static String textOf(AppendRecord record) {
        return new String(record.payload(), StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("an append with a compaction id hides earlier records with that key and id, never the newest or unrelated ones")
    void compaction() throws Exception {
        TopicStore store = streamable().backend().topic("accounts");
        store.append(List.of(compacted("a", "a1"), compacted("b", "b1"), record("x", "plain"))).get();
        store.append(List.of(compacted("a", "a2"), compacted("a", "a3"))).get();
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).extracting(MongoRedisBackendTest::text)
                    .containsExactly("b1", "plain", "a3");
        }
    }

    private static AppendRecord compacted(String id, String payload) {
        return new AppendRecord("k", Optional.of(id), Map.of(), payload.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("a waiting reader of another connection is woken by the Redis signal, not by its safety poll")
    void redisSignalWakesReader() throws Exception {
        TopicStore producerSide = streamable().backend().topic("signals");
        // the consumer's safety poll is far away: only a signal can end its wait in time
        TopicStore consumerSide = streamable("safetyPoll=10m").backend().topic("signals");
        try (TopicReader reader = consumerSide.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).isEmpty();
            MongoRedisBackend backend = (MongoRedisBackend) ((Streamable) open.get(1)).backend();
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.signalsSubscribed());
            CountDownLatch waiting = new CountDownLatch(1);
            List<ReadBatch> result = new CopyOnWriteArrayList<>();
            Thread thread = new Thread(() -> {
                try {
                    waiting.countDown();
                    result.add(reader.read(10, Duration.ofSeconds(60)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.start();
            waiting.await();
            producerSide.append(List.of(record("k", "hello"))).get();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(result).hasSize(1);
            assertThat(result.get(0).records()).extracting(MongoRedisBackendTest::text).containsExactly("hello");
        }
    }

    @Test
    @DisplayName("without Redis a waiting reader still finds new records through its safety poll")
    void safetyPollWithoutRedis() throws Exception {
        Streamable producerSide = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), "none", database));
        open.add(producerSide);
        Streamable consumerSide = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), "none", database,
                "safetyPoll=200ms"));
        open.add(consumerSide);
        List<String> received = new CopyOnWriteArrayList<>();
        consumerSide.consumer(GREETINGS).handler(message -> received.add(message.payload().name())).start();
        producerSide.producer(GREETINGS).appendAndWait("phil", new Greeting("phil", true));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(received).containsExactly("phil"));
    }

    @Test
    @DisplayName("a named consumer resumes after its saved position; positions only move forward")
    void namedConsumerResumes() throws Exception {
        Streamable streamable = streamable();
        Producer<Greeting> producer = streamable.producer(GREETINGS);
        for (int i = 1; i <= 5; i++) {
            producer.appendAndWait("phil", new Greeting("phil" + i, true));
        }
        List<String> first = new CopyOnWriteArrayList<>();
        CountDownLatch three = new CountDownLatch(3);
        Consumer<Greeting> consumer = streamable.consumer(GREETINGS).name("printer")
                .commitEvery(1, Duration.ZERO)
                .handler(message -> {
                    if (three.getCount() == 0) {
                        throw new IllegalStateException("stop here");
                    }
                    first.add(message.payload().name());
                    three.countDown();
                })
                .start();
        assertThat(three.await(30, TimeUnit.SECONDS)).isTrue();
        consumer.close();
        TopicStore store = streamable.backend().topic(GREETINGS.name());
        assertThat(store.savedPosition("printer")).contains(Position.of(3));
        assertThat(store.consumerNames()).containsExactly("printer");

        List<String> second = new CopyOnWriteArrayList<>();
        try (Consumer<Greeting> resumed = streamable.consumer(GREETINGS).name("printer")
                .handler(message -> second.add(message.payload().name())).start()) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(second).containsExactly("phil4", "phil5"));
        }
        try (TopicReader reader = store.openReader(ReaderSpec.named("printer", StartFrom.beginning()))) {
            reader.commit(Position.of(2));
            assertThat(store.savedPosition("printer")).contains(Position.of(5));
        }
        assertThat(first).containsExactly("phil1", "phil2", "phil3");
    }

    @Test
    @DisplayName("a second live consumer with the same name joins its group, on this and on another connection;"
            + " an exclusive reader of the name is refused by both while the group lives")
    void nameInUse() {
        Streamable one = streamable("leaseTtl=1s");
        Streamable two = streamable("leaseTtl=1s");
        try (Consumer<Greeting> first = one.consumer(GREETINGS).name("billing").handler(message -> { }).start();
             Consumer<Greeting> second = one.consumer(GREETINGS).name("billing").handler(message -> { }).start();
             Consumer<Greeting> third = two.consumer(GREETINGS).name("billing").handler(message -> { }).start()) {
            assertThat(first.isRunning()).isTrue();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(List.of(first, second, third))
                    .allSatisfy(member -> assertThat(member.assignment().orElseThrow().slots()).hasSizeBetween(5, 6)));
            assertThatThrownBy(() -> one.backend().topic(GREETINGS.name())
                    .openReader(ReaderSpec.named("billing", StartFrom.beginning())))
                    .isInstanceOf(ConsumerNameInUseException.class);
            assertThatThrownBy(() -> two.backend().topic(GREETINGS.name())
                    .openReader(ReaderSpec.named("billing", StartFrom.beginning())))
                    .isInstanceOf(ConsumerNameInUseException.class).hasMessageContaining("billing");
        }
        // closed: the name is free again at once
        try (Consumer<Greeting> again = two.consumer(GREETINGS).name("billing").handler(message -> { }).start()) {
            assertThat(again.isRunning()).isTrue();
        }
    }

    @Test
    @DisplayName("latest starts at the head; after(position) right after it")
    void startPositions() throws Exception {
        Streamable streamable = streamable();
        Producer<Greeting> producer = streamable.producer(GREETINGS);
        producer.appendAndWait("a", new Greeting("old", true));
        Position second = producer.appendAndWait("a", new Greeting("second", true));
        List<String> latest = new CopyOnWriteArrayList<>();
        List<String> after = new CopyOnWriteArrayList<>();
        CountDownLatch caughtUp = new CountDownLatch(1);
        streamable.consumer(GREETINGS).startFrom(StartFrom.latest()).onCaughtUp(caughtUp::countDown)
                .handler(message -> latest.add(message.payload().name())).start();
        streamable.consumer(GREETINGS).startFrom(StartFrom.after(Position.of(1)))
                .handler(message -> after.add(message.payload().name())).start();
        assertThat(caughtUp.await(20, TimeUnit.SECONDS)).isTrue();
        producer.appendAndWait("a", new Greeting("new", true));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(latest).containsExactly("new");
            assertThat(after).containsExactly("second", "new");
        });
        assertThat(second).isEqualTo(Position.of(2));
    }

    @Test
    @DisplayName("listTopics names topic collections only, not the bookkeeping ones")
    void listTopics() {
        Streamable streamable = streamable();
        streamable.producer(Topic.of("alpha", String.class)).appendAndWait("k", "x");
        streamable.consumer(Topic.of("alpha", String.class)).name("n").handler(message -> { }).start().close();
        streamable.producer(Topic.of("beta", String.class)).appendAndWait("k", "y");
        assertThat(streamable.topics()).containsExactlyInAnyOrder("alpha", "beta");
    }

    @Test
    @DisplayName("a 200-character topic name, too long for a MongoDB namespace, works and is listed by its name")
    void longTopicName() {
        Streamable streamable = streamable();
        String name = "long-" + "x".repeat(io.streamable.TopicName.MAX_LENGTH - 5);
        Topic<String> topic = Topic.of(name, String.class);
        streamable.producer(topic).appendAndWait("k", "v");
        List<String> received = new CopyOnWriteArrayList<>();
        try (Consumer<String> consumer = streamable.consumer(topic).name("c").handler(m -> received.add(m.payload())).start()) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(received).containsExactly("v"));
        }
        assertThat(streamable.topics()).containsExactly(name);
        MongoRedisBackend backend = (MongoRedisBackend) streamable.backend();
        assertThat(backend.collectionNameFor(name)).hasSizeLessThan(MongoRedisBackend.MAX_NAMESPACE).contains("~");
        assertThat(backend.collectionNameFor("short")).isEqualTo("short");
    }

    @Test
    @DisplayName("a read holds at most 16 MB of payload: three 6 MB records come back as two reads, none lost")
    void readsAreBoundedByBytes() throws Exception {
        TopicStore store = streamable().backend().topic("large");
        int size = 6 * 1024 * 1024;
        for (int i = 0; i < 3; i++) {
            byte[] payload = new byte[size];
            payload[0] = (byte) i;
            store.append(List.of(new AppendRecord("k", Optional.empty(), Map.of(), payload))).get();
        }
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            ReadBatch first = reader.read(10, Duration.ZERO);
            ReadBatch second = reader.read(10, Duration.ZERO);

            assertThat(first.records()).extracting(record -> record.payload()[0]).containsExactly((byte) 0, (byte) 1);
            assertThat(first.caughtUp()).isFalse();
            assertThat(first.records().stream().mapToLong(record -> record.payload().length).sum())
                    .isLessThanOrEqualTo(MongoScan.MAX_BATCH_BYTES);
            assertThat(second.records()).extracting(record -> record.payload()[0]).containsExactly((byte) 2);
            assertThat(second.caughtUp()).isTrue();
        }
    }

    @Test
    @DisplayName("a record over MongoDB's document limit fails its append with a clear error; the topic stays usable")
    void oversizedRecord() throws Exception {
        TopicStore store = streamable().backend().topic("big");
        AppendRecord huge = new AppendRecord("k", Optional.empty(), Map.of(), new byte[17 * 1024 * 1024]);
        var failed = store.append(List.of(huge));
        var next = store.append(List.of(record("k", "after")));
        assertThatThrownBy(failed::get).hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("16 MB").hasMessageContaining("\"big\"").hasMessageContaining("nothing");
        assertThat(next.get()).containsExactly(Position.of(1));
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).extracting(MongoRedisBackendTest::text)
                    .containsExactly("after");
        }
    }

    @Test
    @DisplayName("bad URLs are refused with what is wrong, and never show the password")
    void badUrls() {
        assertThatThrownBy(() -> Streamable.open("mongoredis://user:s3cret@localhost:27017/db"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis=")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> Streamable.open("mongoredis://localhost:27017/db?redis=redis://:pw@h:6379&leaseTtl=soon"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaseTtl=soon")
                .hasMessageNotContaining(":pw@");
        assertThatThrownBy(() -> Streamable.open("mongoredis://localhost:27017/bad.db?redis=none"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad.db");
        assertThatThrownBy(() -> Streamable.open("mongoredis:?redis=none"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no MongoDB host");
        assertThatThrownBy(() -> Streamable.open("mongoredis://localhost:27017/db?redis=http://x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a Redis URL");
    }

    @Test
    @DisplayName("the backend describes itself with passwords masked")
    void describeMasks() {
        Streamable streamable = streamable();
        Backend backend = streamable.backend();
        assertThat(backend.describe()).startsWith("mongoredis://").contains(database);
        MongoRedisSettings settings = MongoRedisSettings.parse(io.streamable.backend.BackendUrl.parse(
                "mongoredis://user:s3cret@localhost:27017/db?redis=redis://:r3dis@localhost:6379&safetyPoll=2s"));
        assertThat(settings.toString()).doesNotContain("s3cret").doesNotContain("r3dis").contains("PT2S");
        assertThat(settings.database()).isEqualTo("db");
        assertThat(settings.mongo().getPassword()).containsExactly("s3cret".toCharArray());
    }

    @Test
    @DisplayName("topic names that cannot be collections are refused")
    void badTopicNames() {
        Backend backend = streamable().backend();
        assertThatThrownBy(() -> backend.topic("system.users")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("system.");
        assertThatThrownBy(() -> backend.topic("a$b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.topic("_streamable.positions")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.topic("__has space")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("framework-internal topics (__schemas.x, up to 249 characters) are stored but not listed")
    void internalTopics() throws Exception {
        Backend backend = streamable().backend();
        String longInternal = "__schemas." + "y".repeat(io.streamable.TopicName.MAX_INTERNAL_LENGTH - 10);
        for (String name : List.of("__schemas.orders", longInternal)) {
            TopicStore store = backend.topic(name);
            store.append(List.of(record("k", name))).get();
            try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                assertThat(reader.read(10, Duration.ZERO).records()).extracting(MongoRedisBackendTest::text)
                        .containsExactly(name);
            }
        }
        backend.topic("orders").append(List.of(record("k", "o"))).get();
        assertThat(backend.listTopics()).containsExactly("orders");
    }

    @Test
    @DisplayName("a server that does not answer fails open() with a clear, masked error")
    void unreachable() {
        int port = TestServers.freePort();
        assertThatThrownBy(() -> Streamable.open("mongoredis://u:s3cret@127.0.0.1:" + port
                + "/db?redis=none&serverSelectionTimeoutMS=300"))
                .isInstanceOf(io.streamable.backend.BackendUnavailableException.class)
                .hasMessageContaining("MongoDB is unavailable")
                .hasMessageNotContaining("s3cret");
    }

    static List<String> names(List<Message<Greeting>> messages) {
        return messages.stream().map(message -> message.payload().name()).toList();
    }
}
