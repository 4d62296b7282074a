package io.streamable.backend.kafka;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.Topic;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The Kafka backend through the framework's public API, against a real broker. */
class KafkaBackendTest {

    record Event(String key, int sequence) {
    }

    @Test
    @DisplayName("a message comes back with its payload, headers, keys, position and creation time")
    void roundTrip() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("round-trip"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            Instant before = Instant.now().minusSeconds(1);
            Position position = streamable.producer(topic).appendAndWait(OutgoingMessage.of("customer-1", new Event("a", 1))
                    .withLogCompactId("order-7").withHeader("source", "checkout"));
            Position plain = streamable.producer(topic).appendAndWait("customer-2", new Event("b", 2));

            List<Message<Event>> received = new CopyOnWriteArrayList<>();
            try (Consumer<Event> consumer = streamable.consumer(topic).handler(received::add).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 2);
                assertThat(consumer.lag()).isZero();
            }
            Message<Event> first = received.stream().filter(m -> m.shardingKey().equals("customer-1")).findFirst().orElseThrow();
            assertThat(first.payload()).isEqualTo(new Event("a", 1));
            assertThat(first.logCompactId()).contains("order-7");
            assertThat(first.headers()).containsEntry("source", "checkout")
                    .doesNotContainKeys(KafkaRecordFormat.SHARDING_KEY_HEADER, KafkaRecordFormat.LOG_COMPACT_ID_HEADER);
            assertThat(first.position()).isEqualTo(position);
            assertThat(first.position().offsets()).containsOnlyKeys(KafkaTopicStore.partitionFor("customer-1", KafkaTestSupport.PARTITIONS));
            assertThat(first.createdAt()).isBetween(before, Instant.now().plusSeconds(1));
            Message<Event> second = received.stream().filter(m -> m.shardingKey().equals("customer-2")).findFirst().orElseThrow();
            assertThat(second.logCompactId()).isEmpty();
            // only headers the framework itself writes (such as a schema version), never the backend's own
            assertThat(second.headers().keySet()).allMatch(name -> name.startsWith("streamable."))
                    .doesNotContain(KafkaRecordFormat.SHARDING_KEY_HEADER, KafkaRecordFormat.LOG_COMPACT_ID_HEADER);
            assertThat(second.position()).isEqualTo(plain);
            assertThat(streamable.topics()).contains(topic.name()).noneMatch(name -> name.startsWith("_"));
            // the schema registry's log is internal: one partition, whatever the URL asks for
            TopicStore schemas = streamable.backend().topic("__schemas." + topic.name());
            assertThat(((KafkaTopicStore) schemas).partitionCount()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a stage chained on an append may itself wait for another append")
    void chainedBlockingAppend() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("chained"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            Producer<Event> producer = streamable.producer(topic);
            Position second = producer.append("k", new Event("first", 1))
                    .thenApply(first -> producer.appendAndWait("k", new Event("second", 2)))
                    .get(30, TimeUnit.SECONDS);
            assertThat(second.offset(KafkaTopicStore.partitionFor("k", KafkaTestSupport.PARTITIONS))).hasValue(1);
        }
    }

    @Test
    @DisplayName("messages of one sharding key arrive in append order while many producers append at once")
    void perKeyOrder() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("order"), Event.class);
        int keys = 8;
        int perKey = 200;
        try (Streamable streamable = KafkaTestSupport.open()) {
            Producer<Event> producer = streamable.producer(topic);
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<?>> appends = Collections.synchronizedList(new ArrayList<>());
            for (int k = 0; k < keys; k++) {
                String key = "key-" + k;
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < perKey; i++) {
                        appends.add(producer.append(key, new Event(key, i)));
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

            Map<String, List<Integer>> seen = new HashMap<>();
            CountDownLatch all = new CountDownLatch(keys * perKey);
            try (Consumer<Event> consumer = streamable.consumer(topic).concurrency(3).handler(message -> {
                synchronized (seen) {
                    seen.computeIfAbsent(message.shardingKey(), k -> new ArrayList<>()).add(message.payload().sequence());
                }
                all.countDown();
            }).start()) {
                assertThat(all.await(60, TimeUnit.SECONDS)).isTrue();
                assertThat(consumer.isRunning()).isTrue();
            }
            assertThat(seen).hasSize(keys);
            seen.values().forEach(sequence -> assertThat(sequence).isSorted().hasSize(perKey));
        }
    }

    @Test
    @DisplayName("a named consumer resumes after its saved position on a new connection")
    void namedResume() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("resume"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            Producer<Event> producer = streamable.producer(topic);
            for (int i = 0; i < 10; i++) {
                producer.appendAndWait("k" + (i % 3), new Event("first", i));
            }
            List<Event> firstRun = new CopyOnWriteArrayList<>();
            CountDownLatch caughtUp = new CountDownLatch(1);
            Consumer<Event> consumer = streamable.consumer(topic).name("billing").handler(m -> firstRun.add(m.payload()))
                    .onCaughtUp(caughtUp::countDown).start();
            assertThat(caughtUp.await(30, TimeUnit.SECONDS)).isTrue();
            consumer.close();
            assertThat(firstRun).hasSize(10);
            TopicStore store = streamable.backend().topic(topic.name());
            assertThat(store.savedPosition("billing")).isPresent();
            assertThat(store.consumerNames()).containsExactly("billing");
            assertThat(store.lag(store.savedPosition("billing"))).isZero();
            for (int i = 0; i < 5; i++) {
                producer.appendAndWait("k" + (i % 3), new Event("second", i));
            }
            assertThat(store.lag(store.savedPosition("billing"))).isEqualTo(5);
        }
        try (Streamable streamable = KafkaTestSupport.open()) {
            List<Event> secondRun = new CopyOnWriteArrayList<>();
            try (Consumer<Event> consumer = streamable.consumer(topic).name("billing").handler(m -> secondRun.add(m.payload()))
                    .start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> secondRun.size() >= 5);
                assertThat(consumer.lag()).isZero();
            }
            assertThat(secondRun).extracting(Event::key).containsOnly("second");
            assertThat(secondRun).hasSize(5);
        }
    }

    @Test
    @DisplayName("a second live consumer with the same name joins its group; an exclusive reader is refused while the group has members, and a member while an exclusive reader holds the name")
    void nameInUse() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("lease"), Event.class);
        Topic<Event> other = Topic.of(KafkaTestSupport.uniqueTopic("lease-other"), Event.class);
        try (Streamable first = KafkaTestSupport.open(); Streamable second = KafkaTestSupport.open()) {
            Consumer<Event> holder = first.consumer(topic).name("audit").handler(m -> { }).start();
            TopicStore store = second.backend().topic(topic.name());
            assertThatThrownBy(() -> store.openReader(ReaderSpec.named("audit", StartFrom.beginning())))
                    .as("an exclusive reader while the group has a live member")
                    .isInstanceOf(ConsumerNameInUseException.class)
                    .hasMessageContaining("audit").hasMessageContaining(topic.name());
            try (Consumer<Event> sharing = second.consumer(topic).name("audit").handler(m -> { }).start()) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(holder.assignment().orElseThrow().slots()).hasSize(KafkaTestSupport.PARTITIONS / 2);
                    assertThat(sharing.assignment().orElseThrow().slots()).hasSize(KafkaTestSupport.PARTITIONS / 2);
                });
            }
            // the same name on another topic is another consumer
            List<Event> otherReceived = new CopyOnWriteArrayList<>();
            try (Consumer<Event> onOther = second.consumer(other).name("audit").handler(m -> otherReceived.add(m.payload()))
                    .start()) {
                first.producer(other).appendAndWait("x", new Event("x", 1));
                await().atMost(Duration.ofSeconds(30)).until(() -> otherReceived.size() == 1);
                assertThat(holder.isRunning()).isTrue();
                assertThat(onOther.isRunning()).isTrue();
            }
            holder.close();
            try (TopicReader exclusive = store.openReader(ReaderSpec.named("audit", StartFrom.beginning()))) {
                assertThatThrownBy(() -> first.consumer(topic).name("audit").handler(m -> { }).start())
                        .as("a member while an exclusive reader holds the name")
                        .isInstanceOf(ConsumerNameInUseException.class).hasMessageContaining("audit");
                assertThat(exclusive.read(10, Duration.ZERO).records()).isEmpty();
            }
            try (Consumer<Event> successor = second.consumer(topic).name("audit").handler(m -> { }).start()) {
                assertThat(successor.isRunning()).isTrue();
                assertThat(successor.assignment().orElseThrow().slots()).as("alone, it owns every partition at once")
                        .hasSize(KafkaTestSupport.PARTITIONS);
            }
        }
    }

    @Test
    @DisplayName("a consumer that crashed without closing keeps its name until its session expires, then its successor resumes")
    void resumeAfterCrash() throws Exception {
        String topicName = KafkaTestSupport.uniqueTopic("crash");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(topicName);
            List<io.streamable.backend.AppendRecord> records = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                records.add(new io.streamable.backend.AppendRecord("k" + i, java.util.Optional.empty(), Map.of(),
                        ("\"" + i + "\"").getBytes()));
            }
            List<Position> positions = store.append(records).get(30, TimeUnit.SECONDS);
            KafkaTopicReader crashed = (KafkaTopicReader) store.openReader(ReaderSpec.named("indexer", StartFrom.beginning()));
            List<Position> read = readAtLeast(crashed, 6);
            // handled and saved only the first three
            Position handled = read.get(0).merge(read.get(1)).merge(read.get(2));
            crashed.commit(handled);
            KafkaReaderHooks.crash(crashed);
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    Map.of("bootstrap.servers", EmbeddedKafka.shared().bootstrapServers()))) {
                assertThat(admin.describeConsumerGroups(List.of("indexer")).all().get(30, TimeUnit.SECONDS)
                        .get("indexer").members()).as("the crashed reader is still a member: its name is held")
                        .hasSize(1);
            }

            // the successor waits for the crashed session to expire, then resumes after the commit
            TopicReader successor = store.openReader(ReaderSpec.named("indexer", StartFrom.beginning()));
            try {
                assertThat(successor.startPosition()).contains(handled);
                List<Position> rest = readAtLeast(successor, 3);
                assertThat(rest).containsExactlyInAnyOrderElementsOf(read.subList(3, 6));
                assertThat(positions).containsAll(rest);
            } finally {
                successor.close();
            }
        }
    }

    private static List<Position> readAtLeast(TopicReader reader, int count) throws InterruptedException {
        List<Position> positions = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (positions.size() < count && System.nanoTime() < deadline) {
            ReadBatch batch = reader.read(100, Duration.ofMillis(500));
            batch.records().forEach(record -> positions.add(record.position()));
        }
        assertThat(positions).hasSizeGreaterThanOrEqualTo(count);
        return positions;
    }

    @Test
    @DisplayName("a consumer started at latest sees only what is appended after it started, also before any commit")
    void latest() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("latest"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            Producer<Event> producer = streamable.producer(topic);
            for (int i = 0; i < 8; i++) {
                producer.appendAndWait("k" + i, new Event("old", i));
            }
            List<Event> received = new CopyOnWriteArrayList<>();
            CountDownLatch caughtUp = new CountDownLatch(1);
            try (Consumer<Event> named = streamable.consumer(topic).name("tail").startFrom(StartFrom.latest())
                    .handler(m -> received.add(m.payload())).onCaughtUp(caughtUp::countDown).start()) {
                assertThat(named.position()).isPresent();
                for (int i = 0; i < 4; i++) {
                    producer.appendAndWait("k" + i, new Event("new", i));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 4);
                assertThat(caughtUp.await(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(received).extracting(Event::key).containsOnly("new");
            assertThat(received).hasSize(4);
        }
    }

    @Test
    @DisplayName("a named reader saves its start when it opens: killed before its first commit, its successor resumes there, not at a later latest")
    void startSavedAtFirstUse() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("first-use"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            Producer<Event> producer = streamable.producer(topic);
            for (int i = 0; i < 3; i++) {
                producer.appendAndWait("k" + i, new Event("old", i));
            }
            TopicStore store = streamable.backend().topic(topic.name());
            Position head = store.head().orElseThrow();
            // what the framework hands a backend for StartFrom.latest(): after the head
            TopicReader first = store.openReader(ReaderSpec.named("tail", StartFrom.after(head)));
            assertThat(store.savedPosition("tail")).as("saved before openReader returned").contains(head);
            KafkaReaderHooks.crash(first);
            for (int i = 0; i < 5; i++) {
                producer.appendAndWait("k" + i, new Event("while-down", i));
            }

            List<Event> received = new CopyOnWriteArrayList<>();
            try (Consumer<Event> successor = streamable.consumer(topic).name("tail").startFrom(StartFrom.latest())
                    .handler(m -> received.add(m.payload())).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 5);
                assertThat(successor.lag()).isZero();
            }
            assertThat(received).extracting(Event::key).containsOnly("while-down");
            assertThat(received).hasSize(5);
        }
    }

    @Test
    @DisplayName("a named reader on an empty topic saves the beginning: messages appended before its first commit are not skipped")
    void emptyTopicStartSaved() throws Exception {
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("first-use-empty"), Event.class);
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(topic.name());
            assertThat(store.head()).isEmpty();
            // StartFrom.latest() on an empty topic is the beginning
            TopicReader first = store.openReader(ReaderSpec.named("late", StartFrom.beginning()));
            assertThat(store.consumerNames()).containsExactly("late");
            KafkaReaderHooks.crash(first);
            Producer<Event> producer = streamable.producer(topic);
            for (int i = 0; i < 10; i++) {
                producer.appendAndWait("k" + i, new Event("new", i));
            }
            List<Event> received = new CopyOnWriteArrayList<>();
            try (Consumer<Event> successor = streamable.consumer(topic).name("late").startFrom(StartFrom.latest())
                    .handler(m -> received.add(m.payload())).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 10);
            }
            assertThat(received).hasSize(10);
        }
    }

    @Test
    @DisplayName("settings that cannot give a durable, non-blocking append are refused at open with the option to change")
    void undurableSettingsRefused() {
        String base = EmbeddedKafka.shared().url("");
        assertThatThrownBy(() -> Streamable.open(base + "?kafka.acks=0&kafka.enable.idempotence=false"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kafka.acks=0")
                .hasMessageContaining("durable position");
        assertThatThrownBy(() -> Streamable.open(base + "?kafka.producer.acks=1&kafka.enable.idempotence=false"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks=1");
        assertThatThrownBy(() -> Streamable.open(base + "?kafka.max.block.ms=60000"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kafka.delivery.timeout.ms");
        try (Streamable streamable = Streamable.open(base + "?kafka.acks=all")) {
            assertThat(streamable.backend().describe()).contains("acks=all");
        }
    }

    @Test
    @DisplayName("an unresolvable host, a malformed JAAS config or a missing truststore is a StreamableException naming what to fix, without the secret")
    void clientCreationFailures() {
        assertThatThrownBy(() -> Streamable.open("kafka://no-such-host.invalid:9092?timeout=2000"))
                .isInstanceOf(StreamableException.class).isNotInstanceOf(org.apache.kafka.common.KafkaException.class)
                .hasMessageContaining("no-such-host.invalid:9092").hasMessageContaining("DNS");
        String jaas = java.net.URLEncoder.encode("org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"alice\" password=\"hunter2secret\"", java.nio.charset.StandardCharsets.UTF_8); // no ';'
        assertThatThrownBy(() -> Streamable.open(EmbeddedKafka.shared().url("timeout=2000"
                + "&kafka.security.protocol=SASL_PLAINTEXT&kafka.sasl.mechanism=PLAIN&kafka.sasl.jaas.config=" + jaas)))
                .isInstanceOf(StreamableException.class).hasMessageContaining("kafka.sasl.jaas.config")
                .hasMessageNotContaining("hunter2secret")
                .satisfies(e -> assertThat(causes(e)).noneMatch(c -> String.valueOf(c.getMessage()).contains("hunter2secret")));
        assertThatThrownBy(() -> Streamable.open(EmbeddedKafka.shared().url("timeout=2000&kafka.security.protocol=SSL"
                + "&kafka.ssl.truststore.location=/no/such/truststore.jks&kafka.ssl.truststore.password=hunter2secret")))
                .isInstanceOf(StreamableException.class).hasMessageContaining("kafka.ssl.truststore.location")
                .hasMessageNotContaining("hunter2secret");
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            chain.add(cause);
        }
        return chain;
    }

    @Test
    @DisplayName("a timeout without a message says what timed out, never \"(null)\"")
    void timeoutMessage() {
        StreamableException error = KafkaErrors.translate("Listing topics", "127.0.0.1:1",
                new java.util.concurrent.TimeoutException());
        assertThat(error).isInstanceOf(io.streamable.backend.BackendUnavailableException.class);
        assertThat(error.getMessage()).doesNotContain("null").contains("TimeoutException").contains("Listing topics");
    }

    @Test
    @DisplayName("topic names that Kafka takes for the same (a.b and a_b) are refused at creation, naming the other topic")
    void collidingTopicNames() {
        String stem = KafkaTestSupport.uniqueTopic("collide");
        try (Streamable streamable = KafkaTestSupport.open()) {
            streamable.backend().topic(stem + ".x");
            assertThatThrownBy(() -> streamable.backend().topic(stem + "_x"))
                    .isInstanceOf(StreamableException.class)
                    .hasMessageContaining(stem + ".x").hasMessageContaining("'.' and '_'");
        }
    }

    @Test
    @DisplayName("created topics get min.insync.replicas = min(2, replication)")
    void minInsyncReplicas() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("min-isr");
        try (Streamable streamable = Streamable.open(KafkaTestSupport.url("replication=1"));
             org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                     Map.of("bootstrap.servers", EmbeddedKafka.shared().bootstrapServers()))) {
            streamable.backend().topic(name);
            var resource = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, name);
            var entry = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                    .get(KafkaTopicStore.MIN_INSYNC_REPLICAS);
            assertThat(entry.value()).isEqualTo("1");
            assertThat(entry.source()).as("set on the topic, not the broker default")
                    .isEqualTo(org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        }
    }

    @Test
    @DisplayName("an append stops at its first refused record: the records before it are stored, none after it")
    void appendStopsAtFirstRefusedRecord() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("prefix");
        try (Streamable streamable = Streamable.open(KafkaTestSupport.url("topic.max.message.bytes=4096"))) {
            TopicStore store = streamable.backend().topic(name);
            byte[] small = "\"small\"".getBytes();
            byte[] large = ("\"" + "x".repeat(8192) + "\"").getBytes();
            List<io.streamable.backend.AppendRecord> records = List.of(
                    new io.streamable.backend.AppendRecord("k", java.util.Optional.empty(), Map.of(), small),
                    new io.streamable.backend.AppendRecord("k", java.util.Optional.empty(), Map.of(), large),
                    new io.streamable.backend.AppendRecord("k", java.util.Optional.empty(), Map.of(), small));
            assertThatThrownBy(() -> store.append(records).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(StreamableException.class).hasMessageContaining("max.message.bytes");
            store.append(List.of(new io.streamable.backend.AppendRecord("k", java.util.Optional.empty(), Map.of(),
                    "\"after\"".getBytes()))).get(30, TimeUnit.SECONDS);
            TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()));
            List<String> payloads = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (payloads.size() < 2 && System.nanoTime() < deadline) {
                reader.read(10, Duration.ofMillis(500)).records().forEach(r -> payloads.add(new String(r.payload())));
            }
            reader.close();
            assertThat(payloads).containsExactly("\"small\"", "\"after\"");
        }
    }

    @Test
    @DisplayName("an existing topic with another partition count is a clear error")
    void partitionMismatch() {
        String name = KafkaTestSupport.uniqueTopic("mismatch");
        try (Streamable streamable = KafkaTestSupport.open()) {
            streamable.backend().topic(name);
        }
        try (Streamable streamable = Streamable.open(KafkaTestSupport.url("").replace("partitions=4", "partitions=6"))) {
            assertThatThrownBy(() -> streamable.backend().topic(name))
                    .isInstanceOf(StreamableException.class)
                    .hasMessageContaining("exists with 4 partition(s)")
                    .hasMessageContaining("partitions=6");
        }
    }

    @Test
    @DisplayName("a partition count changed after messages were written is a clear error, also when the URL asks for the new count or none")
    void partitionCountChanged() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("remapped");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(name);
            List<io.streamable.backend.AppendRecord> records = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                records.add(new io.streamable.backend.AppendRecord("key-" + i, java.util.Optional.empty(), Map.of(),
                        ("\"" + i + "\"").getBytes()));
            }
            store.append(records).get(30, TimeUnit.SECONDS);
        }
        try (Streamable unchanged = KafkaTestSupport.open()) {
            assertThat(unchanged.backend().topic(name).name()).as("reopening an unchanged topic is fine").isEqualTo(name);
        }
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", EmbeddedKafka.shared().bootstrapServers()))) {
            admin.createPartitions(Map.of(name, org.apache.kafka.clients.admin.NewPartitions.increaseTo(7)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        for (String url : List.of(KafkaTestSupport.url("").replace("partitions=4", "partitions=7"),
                KafkaTestSupport.url("").replace("partitions=4&", ""))) {
            try (Streamable streamable = Streamable.open(url)) {
                assertThatThrownBy(() -> streamable.backend().topic(name))
                        .isInstanceOf(StreamableException.class)
                        .hasMessageContaining("has 7 partitions now").hasMessageContaining("changed the partition count");
            }
        }
    }

    @Test
    @DisplayName("a cluster that cannot be reached is a BackendUnavailableException naming the URL, without its secrets")
    void unreachable() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String url = "kafka://127.0.0.1:" + closedPort + "?timeout=1500&kafka.sasl.jaas.config=hunter2";
        assertThatThrownBy(() -> Streamable.open(url))
                .isInstanceOf(io.streamable.backend.BackendUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort).hasMessageNotContaining("hunter2");
    }

    @Test
    @DisplayName("bad options are refused with a message that names them and never shows secrets")
    void badOptions() {
        String base = EmbeddedKafka.shared().url("");
        assertThatThrownBy(() -> Streamable.open(base + "?partitons=3"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitons");
        assertThatThrownBy(() -> Streamable.open(base + "?partitions=zero"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitions=zero");
        assertThatThrownBy(() -> Streamable.open(base + "?kafka.sasl.jaas.config=hunter2&kafka.no.such.config=1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kafka.no.such.config").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> Streamable.open("kafka://"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> Streamable.open(base + "?maxPendingRecords=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPendingRecords=0");
        assertThatThrownBy(() -> Streamable.open(base + "?maxPendingBytes=lots"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPendingBytes=lots");
        KafkaOptions defaults = KafkaOptions.from(BackendUrl.parse(base));
        assertThat(defaults.maxPendingRecords()).isEqualTo(KafkaOptions.DEFAULT_MAX_PENDING_RECORDS);
        assertThat(defaults.maxPendingBytes()).isEqualTo(KafkaOptions.DEFAULT_MAX_PENDING_BYTES);
        assertThat(KafkaOptions.from(BackendUrl.parse(base + "?maxPendingRecords=5&maxPendingBytes=4096")))
                .extracting(KafkaOptions::maxPendingRecords, KafkaOptions::maxPendingBytes).containsExactly(5, 4096L);
        KafkaOptions options = KafkaOptions.from(BackendUrl.parse(base + "?kafka.sasl.jaas.config=hunter2"));
        assertThat(options.toString()).doesNotContain("hunter2");
        try (Streamable streamable = Streamable.open(base + "?kafka.ssl.key.password=hunter2")) {
            assertThat(streamable.backend().describe()).doesNotContain("hunter2");
            assertThat(streamable.toString()).doesNotContain("hunter2");
        }
    }
}
