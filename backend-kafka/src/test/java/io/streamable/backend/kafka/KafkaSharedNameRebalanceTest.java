package io.streamable.backend.kafka;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * One consumer name on several topics is one Kafka group, so a reader of another topic joining or
 * leaving rebalances every reader of the name. A commit that meets such a rebalance (the final save
 * of a closing consumer, typically, woken up by close() in the middle of its poll's rejoin) must
 * complete the rebalance and commit, not lose the position.
 *
 * <p>The tests drive the readers from the test thread, so each step happens in a known order: the
 * other member's JoinGroup reaches the broker first (the group is seen preparing a rebalance), then
 * the reader is made to rejoin by a poll that returns before the join completes, which leaves its
 * consumer in the middle of the rebalance when it commits, as in a close during a rebalance.
 */
class KafkaSharedNameRebalanceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    record Event(int seq) {
    }

    @Test
    @DisplayName("a consumer that closes while another topic's consumer of its name joins keeps its final save: restarted, it gets exactly the unseen messages")
    void closeDuringRebalanceKeepsFinalSave() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("shared-name");
        Topic<Event> topic = Topic.of(KafkaTestSupport.uniqueTopic("close-rebalance"), Event.class);
        Topic<Event> otherTopic = Topic.of(KafkaTestSupport.uniqueTopic("close-rebalance-other"), Event.class);
        String stalledTopic = KafkaTestSupport.uniqueTopic("close-rebalance-stalled");
        try (Streamable streamable = KafkaTestSupport.open()) {
            streamable.backend().topic(stalledTopic);
            Producer<Event> producer = streamable.producer(topic);
            List<Message<Event>> first = new CopyOnWriteArrayList<>();
            Consumer<Event> consumer = streamable.consumer(topic).name(name).startFrom(StartFrom.beginning())
                    .commitEvery(1_000_000, Duration.ofHours(1)).handler(first::add).start();
            for (int seq = 1; seq <= 3; seq++) {
                producer.appendAndWait("k", new Event(seq));
            }
            await().atMost(TIMEOUT).until(() -> first.size() == 3);

            // a member of the group that rejoins only when the test polls it, so the rebalance the other
            // consumer's join starts stays in progress until the close is under way
            try (KafkaConsumer<byte[], byte[]> stalled = groupMember(name)) {
                stalled.subscribe(List.of(stalledTopic));
                await().atMost(TIMEOUT).pollInSameThread().until(() -> {
                    stalled.poll(Duration.ofMillis(100));
                    return !stalled.assignment().isEmpty();
                });
                CompletableFuture<Consumer<Event>> other = CompletableFuture.supplyAsync(() -> streamable
                        .consumer(otherTopic).name(name).handler(message -> { }).start());
                awaitGroupState(name, GroupState.PREPARING_REBALANCE);

                CompletableFuture<Void> closing = CompletableFuture.runAsync(consumer::close);
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (!closing.isDone() && System.nanoTime() < deadline) {
                    stalled.poll(Duration.ofMillis(100)); // lets the rebalance complete
                }
                closing.get(1, TimeUnit.SECONDS);
                await().atMost(TIMEOUT).pollInSameThread().until(() -> {
                    stalled.poll(Duration.ofMillis(100)); // and the one the close starts
                    return other.isDone();
                });
                other.get().close();
            }
            for (int seq = 4; seq <= 6; seq++) {
                producer.appendAndWait("k", new Event(seq));
            }

            List<Message<Event>> resumed = new CopyOnWriteArrayList<>();
            try (Consumer<Event> again = streamable.consumer(topic).name(name).startFrom(StartFrom.beginning())
                    .handler(resumed::add).start()) {
                await().atMost(TIMEOUT).until(() -> resumed.size() >= 3);
                again.awaitCaughtUp(TIMEOUT);
            }
            assertThat(first).extracting(message -> message.payload().seq()).containsExactly(1, 2, 3);
            assertThat(resumed).as("the final save on close was kept: nothing handled is delivered again")
                    .extracting(message -> message.payload().seq()).containsExactly(4, 5, 6);
        }
    }

    @Test
    @DisplayName("a commit, woken up by a close, that meets a rebalance caused by another topic's reader of the name completes it and saves")
    void commitDuringRebalanceSaves() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("shared-name");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore first = streamable.backend().topic(KafkaTestSupport.uniqueTopic("rebalance-first"));
            TopicStore second = streamable.backend().topic(KafkaTestSupport.uniqueTopic("rebalance-second"));
            List<Position> appended = new ArrayList<>(appendOneKey(first, 0, 3));
            TopicReader reader = first.openReader(ReaderSpec.named(name, StartFrom.beginning()));
            List<StoredRecord> handed = readAtLeast(reader, 3);

            CompletableFuture<TopicReader> other = CompletableFuture.supplyAsync(
                    () -> second.openReader(ReaderSpec.named(name, StartFrom.beginning())));
            awaitGroupState(name, GroupState.PREPARING_REBALANCE);
            // fetched by the commit's poll once the rebalance is done: kept for the next read, not lost or repeated
            appended.addAll(appendOneKey(first, 3, 3));
            KafkaReaderHooks.requestRebalance(reader);
            assertThat(reader.read(10, Duration.ZERO).records()).as("the poll only sent the JoinGroup").isEmpty();
            reader.wakeup(); // close() wakes the reader; when it is not in a poll, the wakeup waits for the commit

            reader.commit(handed.get(2).position());

            assertThat(first.savedPosition(name)).contains(appended.get(2));
            TopicReader otherReader = other.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(readAtLeast(reader, 3)).as("what the commit's poll fetched, neither lost nor repeated")
                    .extracting(StoredRecord::position).containsExactlyElementsOf(appended.subList(3, 6));
            reader.commit(appended.get(5));
            reader.close();
            otherReader.close();

            appended.addAll(appendOneKey(first, 6, 2));
            TopicReader resumed = first.openReader(ReaderSpec.named(name, StartFrom.beginning()));
            assertThat(resumed.startPosition()).contains(appended.get(5));
            assertThat(readAtLeast(resumed, 2)).as("exactly what it had not handled")
                    .extracting(StoredRecord::position).containsExactlyElementsOf(appended.subList(6, 8));
            assertThat(resumed.read(10, Duration.ofMillis(500)).records()).as("and nothing more").isEmpty();
            resumed.close();
        }
    }

    @Test
    @DisplayName("a commit that meets a rebalance giving one of its partitions to another member is a fencing, and saves nothing")
    void rebalanceTakingAPartitionFences() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("shared-name");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(KafkaTestSupport.uniqueTopic("rebalance-split"));
            List<Position> appended = appendOneKey(store, 0, 3);
            TopicReader reader = store.openReader(ReaderSpec.named(name, StartFrom.beginning()));
            readAtLeast(reader, 3);

            // a plain Kafka client in the group, on the same topic: the range assignor gives it half the partitions
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> intruder = CompletableFuture.runAsync(() -> pollUntilStopped(name, store.name(), stop));
            try {
                awaitGroupState(name, GroupState.PREPARING_REBALANCE);
                KafkaReaderHooks.requestRebalance(reader);
                reader.read(10, Duration.ZERO);

                assertThatThrownBy(() -> reader.commit(appended.get(2))).isInstanceOf(ConsumerFencedException.class)
                        .hasMessageContaining(name).hasMessageContaining("another member");
                assertThat(store.savedPosition(name)).as("nothing saved").isEmpty();
                assertThatThrownBy(() -> reader.read(10, Duration.ZERO)).as("fenced for good")
                        .isInstanceOf(ConsumerFencedException.class);
            } finally {
                reader.close();
                stop.set(true);
                intruder.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /** A plain Kafka client in {@code group}, as a process outside the framework would be. */
    private static KafkaConsumer<byte[], byte[]> groupMember(String group) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedKafka.shared().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
    }

    private static void pollUntilStopped(String group, String topic, AtomicBoolean stop) {
        try (KafkaConsumer<byte[], byte[]> consumer = groupMember(group)) {
            consumer.subscribe(List.of(topic));
            while (!stop.get()) {
                try {
                    consumer.poll(Duration.ofMillis(100));
                } catch (WakeupException e) {
                    // not woken by anyone; keep polling
                }
            }
        }
    }

    /** Waits until the broker reports the group in {@code state}: a member's JoinGroup has arrived. */
    private static void awaitGroupState(String group, GroupState state) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", EmbeddedKafka.shared().bootstrapServers()))) {
            await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> admin.describeConsumerGroups(List.of(group))
                    .all().get(10, TimeUnit.SECONDS).get(group).groupState() == state);
        }
    }

    private static List<Position> appendOneKey(TopicStore store, int from, int count) throws Exception {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(new AppendRecord("key", Optional.empty(), Map.of(), ("\"" + i + "\"").getBytes(StandardCharsets.UTF_8)));
        }
        return store.append(records).get(30, TimeUnit.SECONDS);
    }

    /** Reads exactly {@code count} records (never more), within 30 s. */
    private static List<StoredRecord> readAtLeast(TopicReader reader, int count) throws InterruptedException {
        List<StoredRecord> records = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (records.size() < count && System.nanoTime() < deadline) {
            ReadBatch batch = reader.read(count - records.size(), Duration.ofMillis(500));
            records.addAll(batch.records());
        }
        assertThat(records).hasSize(count);
        return records;
    }
}
