package io.streamable.backend.mongoredis;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.ReaderSpec;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import org.bson.Document;
import org.bson.types.Binary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 18: JSON payloads stored as embedded documents (queryable in mongosh), documents written
 * by the TypeScript prototype read as they are, and its signals and id counter kept up with
 * {@code prototypeSignals=true}. Every prototype document here is written by the raw driver in
 * exactly the prototype's shape: {@code {_id, createdAt, shardingKey, payload, logCompactId?}}.
 */
class PrototypeFormatTest {
    /** A payload type with the kinds of fields the prototype's JavaScript objects hold. */
    record Order(String name, int quantity, long total, double price, boolean paid, List<String> tags,
                 Address address, Instant placedAt, String note) {
    }

    record Address(String city, int zip) {
    }

    record Greeting(String name, boolean isGreat) {
    }

    private final String database = TestServers.freshDatabase();
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());
    private final MongoDatabase db = raw.getDatabase(database);
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        raw.close();
    }

    private Streamable streamable(String... options) {
        Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(),
                database, options));
        open.add(streamable);
        return streamable;
    }

    private static Document prototypeDocument(Object id, String key, Document payload) {
        return new Document("_id", id).append("createdAt", new Date(1_700_000_000_000L))
                .append("shardingKey", key).append("payload", payload);
    }

    private static Document orderPayload(int i) {
        return new Document("name", "order-" + i).append("quantity", i).append("total", 10_000_000_000L + i)
                .append("price", i + 0.25).append("paid", i % 2 == 0).append("tags", List.of("a", "b" + i))
                .append("address", new Document("city", "Zürich").append("zip", 8000 + i))
                .append("placedAt", new Date(1_700_000_000_000L + i)).append("note", null);
    }

    private static Order expectedOrder(int i) {
        return new Order("order-" + i, i, 10_000_000_000L + i, i + 0.25, i % 2 == 0, List.of("a", "b" + i),
                new Address("Zürich", 8000 + i), Instant.ofEpochMilli(1_700_000_000_000L + i), null);
    }

    @Test
    @DisplayName("a topic the prototype wrote (Int32, Int64 and double ids, embedded payloads, no headers, a nextids"
            + " counter) is consumed from the beginning, in order, with its payload types intact; reading adds no index")
    void prototypeTopicIsConsumedAsItIs() throws Exception {
        MongoCollection<Document> orders = db.getCollection("orders");
        List<Document> written = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            // the prototype's ids come from $inc as Int32; a JavaScript number may also arrive as a double
            Object id = i == 3 ? (Object) 3.0 : i == 5 ? (Object) 5L : (Object) i;
            Document document = prototypeDocument(id, "customer-" + (i % 2), orderPayload(i));
            if (i == 4) {
                document.append("logCompactId", "order-4");
            }
            written.add(document);
        }
        orders.insertMany(written);
        db.getCollection("nextids").insertOne(new Document("_id", "orders").append("seq", 6));

        Streamable streamable = streamable();
        assertThat(streamable.backend().listTopics()).containsExactly("orders");

        Topic<Order> topic = Topic.of("orders", Order.class);
        List<Message<Order>> received = new CopyOnWriteArrayList<>();
        try (Consumer<Order> consumer = streamable.consumer(topic).name("migrated").startFrom(StartFrom.beginning())
                .handler(received::add).start()) {
            consumer.awaitCaughtUp(Duration.ofSeconds(10));
            assertThat(consumer.stopped()).isNotDone();
        }
        assertThat(received).extracting(message -> message.position().encode())
                .containsExactly("1", "2", "3", "4", "5", "6");
        for (int i = 1; i <= 6; i++) {
            Message<Order> message = received.get(i - 1);
            assertThat(message.payload()).isEqualTo(expectedOrder(i));
            assertThat(message.shardingKey()).isEqualTo("customer-" + (i % 2));
        }
        assertThat(received.get(3).logCompactId()).contains("order-4");
        // the consumer's own bookkeeping lives in _streamable.* collections; the prototype's collection is unchanged
        assertThat(orders.listIndexes().map(index -> index.getString("name")).into(new ArrayList<>()))
                .containsExactly("_id_");
        assertThat(db.getCollection("nextids").find().first()).isEqualTo(new Document("_id", "orders").append("seq", 6));

        // a Java producer continues after the highest id, whatever its BSON type was
        Producer<Order> producer = streamable.producer(topic);
        assertThat(producer.appendAndWait("customer-1", expectedOrder(7))).isEqualTo(Position.of(7));
        assertThat(orders.find(Filters.eq("_id", 7L)).first().get("payload", Document.class).getString("name"))
                .isEqualTo("order-7");

        // the producer registered a schema version: the prototype's headerless messages, which have exactly the
        // type's shape, are still read as it (written before the registry); a new consumer reads all seven
        List<Message<Order>> again = new CopyOnWriteArrayList<>();
        try (Consumer<Order> consumer = streamable.consumer(topic).startFrom(StartFrom.beginning())
                .handler(again::add).start()) {
            consumer.awaitCaughtUp(Duration.ofSeconds(10));
        }
        assertThat(again).extracting(Message::payload).containsExactly(expectedOrder(1), expectedOrder(2),
                expectedOrder(3), expectedOrder(4), expectedOrder(5), expectedOrder(6), expectedOrder(7));
        assertThat(again.get(6).header("streamable.schema.version")).contains("1");
    }

    @Test
    @DisplayName("a JSON payload the framework writes is an embedded document: find({\"payload.name\": \"phil\"}) finds it")
    void javaWrittenPayloadsAreQueryable() throws Exception {
        Streamable streamable = streamable();
        Producer<Greeting> producer = streamable.producer(Topic.of("greetings", Greeting.class));
        producer.appendAndWait("phil", new Greeting("phil", true));
        producer.appendAndWait("ada", new Greeting("ada", false));

        List<Document> found = db.getCollection("greetings").find(Filters.eq("payload.name", "phil"))
                .into(new ArrayList<>());
        assertThat(found).hasSize(1);
        assertThat(found.get(0).get("payload")).isEqualTo(new Document("name", "phil").append("isGreat", true));
        assertThat(db.getCollection("greetings").countDocuments(Filters.eq("payload.isGreat", false))).isEqualTo(1);
    }

    @Test
    @DisplayName("documents with BinData payloads (the format before embedded documents) stay readable next to new ones")
    void binaryPayloadsStayReadable() throws Exception {
        MongoCollection<Document> greetings = db.getCollection("greetings");
        // exactly what earlier versions wrote: BinData holding the JSON bytes, headers as [{n, v}]
        greetings.insertOne(new Document("_id", 1L).append("shardingKey", "phil")
                .append("headers", List.of(new Document("n", "source").append("v", "old")))
                .append("payload", new Binary("{\"name\":\"phil\",\"isGreat\":true}".getBytes(StandardCharsets.UTF_8)))
                .append("createdAt", new Date()));
        Streamable streamable = streamable();
        Topic<Greeting> topic = Topic.of("greetings", Greeting.class);
        streamable.producer(topic).appendAndWait("ada", new Greeting("ada", false));

        List<Message<Greeting>> received = new CopyOnWriteArrayList<>();
        try (Consumer<Greeting> consumer = streamable.consumer(topic).startFrom(StartFrom.beginning())
                .handler(received::add).start()) {
            consumer.awaitCaughtUp(Duration.ofSeconds(10));
        }
        assertThat(received).extracting(Message::payload)
                .containsExactly(new Greeting("phil", true), new Greeting("ada", false));
        assertThat(received.get(0).headers()).containsEntry("source", "old");
        assertThat(greetings.find(Filters.eq("_id", 2L)).first().get("payload")).isInstanceOf(Document.class);
    }

    @Test
    @DisplayName("payloads=binary keeps writing BinData; a JSON payload that is not an object and a non-JSON codec's"
            + " bytes are BinData in either format, and come back byte for byte")
    void binaryFormatIsKept() throws Exception {
        Streamable binary = streamable("payloads=binary");
        binary.producer(Topic.of("greetings", Greeting.class)).appendAndWait("phil", new Greeting("phil", true));
        assertThat(db.getCollection("greetings").find().first().get("payload")).isInstanceOf(Binary.class);

        Streamable streamable = streamable();
        streamable.producer(Topic.of("words", String.class)).appendAndWait("k", "a JSON string, not an object");
        assertThat(db.getCollection("words").find().first().get("payload")).isInstanceOf(Binary.class);
        byte[] opaque = "{\"looks\": \"like JSON\"}".getBytes(StandardCharsets.UTF_8);
        var store = streamable.backend().topic("opaque");
        store.append(List.of(new io.streamable.backend.AppendRecord("k", java.util.Optional.empty(), Map.of(),
                opaque))).get();
        assertThat(db.getCollection("opaque").find().first().get("payload")).isInstanceOf(Binary.class);
        try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
            assertThat(reader.read(10, Duration.ZERO).records()).extracting(StoredRecord::payload)
                    .containsExactly(opaque);
        }
    }

    @Test
    @DisplayName("prototypeSignals=true: {\"newMessage\":true} on TOPIC-<name> after each Java append, and the"
            + " prototype's $inc on nextids returns an id above every Java id")
    void prototypeSignalsAndCounter() throws Exception {
        BlockingQueue<String> signals = new LinkedBlockingQueue<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        JedisPubSub listener = new JedisPubSub() {
            @Override
            public void onMessage(String channel, String message) {
                signals.add(channel + " " + message);
            }

            @Override
            public void onSubscribe(String channel, int count) {
                subscribed.countDown();
            }
        };
        URI redis = URI.create(TestServers.redisUri());
        Thread subscriber = new Thread(() -> {
            try (Jedis jedis = new Jedis(redis.getHost(), redis.getPort())) {
                jedis.subscribe(listener, "TOPIC-greetings");
            }
        });
        subscriber.start();
        try {
            assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
            // a prototype producer wrote ids 1..2 and its counter says 2
            db.getCollection("greetings").insertMany(List.of(
                    prototypeDocument(1, "phil", new Document("name", "phil").append("isGreat", true)),
                    prototypeDocument(2, "ada", new Document("name", "ada").append("isGreat", true))));
            db.getCollection("nextids").insertOne(new Document("_id", "greetings").append("seq", 2));

            Streamable streamable = streamable("prototypeSignals=true");
            Producer<Greeting> producer = streamable.producer(Topic.of("greetings", Greeting.class));
            long highest = 0;
            for (int i = 0; i < 3; i++) {
                highest = producer.appendAndWait("java", new Greeting("java-" + i, false)).offset();
                assertThat(signals.poll(10, TimeUnit.SECONDS)).isEqualTo("TOPIC-greetings {\"newMessage\":true}");
            }
            assertThat(highest).isEqualTo(5);
            producer.appendAll(List.of(io.streamable.produce.OutgoingMessage.of("java", new Greeting("batch-1", false)),
                    io.streamable.produce.OutgoingMessage.of("java", new Greeting("batch-2", false)))).join();
            long javaMax = db.getCollection("greetings").find().sort(Sorts.descending("_id")).first().get("_id",
                    Number.class).longValue();
            assertThat(javaMax).isEqualTo(7);

            // the prototype's claim
            Document claimed = db.getCollection("nextids").findOneAndUpdate(Filters.eq("_id", "greetings"),
                    Updates.inc("seq", 1), new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            assertThat(claimed.get("seq", Number.class).longValue()).isGreaterThan(javaMax);
            // the schema topic is the framework's: no counter for it
            assertThat(db.getCollection("nextids").countDocuments()).isEqualTo(1);
        } finally {
            listener.unsubscribe();
            subscriber.join(5_000);
        }
    }

    @Test
    @DisplayName("prototypeSignals=true: a prototype producer's insert and {\"newMessage\":true} wake a waiting Java"
            + " consumer at once, not at its safety poll")
    void prototypeSignalWakesJavaConsumers() throws Exception {
        Streamable streamable = streamable("prototypeSignals=true", "safetyPoll=10m");
        Topic<Greeting> topic = Topic.of("greetings", Greeting.class);
        BlockingQueue<Greeting> received = new LinkedBlockingQueue<>();
        try (Consumer<Greeting> consumer = streamable.consumer(topic).startFrom(StartFrom.beginning())
                .handler(message -> received.add(message.payload())).start()) {
            consumer.awaitCaughtUp(Duration.ofSeconds(10));
            MongoRedisBackend backend = (MongoRedisBackend) streamable.backend();
            await().atMost(Duration.ofSeconds(10)).until(backend::signalsSubscribed);
            db.getCollection("greetings").insertOne(prototypeDocument(1, "phil",
                    new Document("name", "phil").append("isGreat", true)));
            URI redis = URI.create(TestServers.redisUri());
            try (Jedis jedis = new Jedis(redis.getHost(), redis.getPort())) {
                jedis.publish("TOPIC-greetings", "{\"newMessage\":true}");
            }
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(new Greeting("phil", true));
        }
    }

    @Test
    @DisplayName("without prototypeSignals the nextids counter is neither read nor written, and TOPIC-<name> is silent")
    void noPrototypeSignalsByDefault() throws Exception {
        db.getCollection("nextids").insertOne(new Document("_id", "greetings").append("seq", 0));
        Streamable streamable = streamable();
        streamable.producer(Topic.of("greetings", Greeting.class)).appendAndWait("phil", new Greeting("phil", true));
        assertThat(db.getCollection("nextids").find().first()).isEqualTo(new Document("_id", "greetings").append("seq", 0));
        assertThat(streamable.backend().listTopics()).containsExactly("greetings");
    }
}
