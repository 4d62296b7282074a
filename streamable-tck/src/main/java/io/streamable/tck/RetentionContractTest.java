package io.streamable.tck;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.Topic;
import io.streamable.TopicDescription;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.GroupAssignment;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.tck.ContractPayloads.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The retention and time-travel contract (issue 17): retention removes only a prefix of a topic,
 * never its newest message; a consumer behind the removed prefix resumes at the oldest message
 * kept and is told how many positions it missed; lag counts only what is stored; a consumer
 * started {@link StartFrom#at(Instant) at} an instant receives exactly the messages created at or
 * after it. A backend proves itself by extending this class with its {@link BackendFixture}.
 *
 * <p>Every test uses one sharding key, so that a partitioned backend keeps the topic in one
 * partition and offsets are dense there. Ages are short ({@link BackendFixture#retentionAge()}) and waited out with
 * Awaitility; removal is triggered with {@link TopicStore#enforceRetention()} instead of waiting
 * for the backend's own schedule. A backend declaring {@link Capability#SERVER_RETENTION} must
 * refuse a count limit with a clear error instead. A backend declaring
 * {@link Capability#RETENTION_WITH_GROUPS} runs the group story with two members on several keys;
 * any other runs it with a group of one on one key.
 */
public abstract class RetentionContractTest {
    /** The longest any single wait may take before a test fails: generous, for loaded CI machines. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final TestResources resources = new TestResources(this::fixture);
    private final Duration age = fixture().retentionAge();

    /**
     * The backend under test; every connection its {@link BackendFixture#open()} makes must see the same data.
     *
     * @return the fixture of the backend under test
     */
    protected abstract BackendFixture fixture();

    @AfterEach
    void closeWhatTheTestOpened() throws Exception {
        resources.closeAll();
    }

    private Streamable connect() {
        return resources.connect();
    }

    private boolean serverRetention() {
        return fixture().capabilities().contains(Capability.SERVER_RETENTION);
    }

    private static Topic<Event> eventTopic(String purpose) {
        return Topic.of("tck-" + purpose + "-" + UUID.randomUUID(), Event.class);
    }

    private static List<Position> append(Producer<Event> producer, int first, int last) {
        return producer.appendAllAndWait(IntStream.rangeClosed(first, last)
                .mapToObj(seq -> OutgoingMessage.of("k", Event.of("k", seq))).toList());
    }

    private static List<Integer> range(int first, int last) {
        return IntStream.rangeClosed(first, last).boxed().toList();
    }

    /** Waits until every message appended so far is older than the age limit, by this machine's clock. */
    private static void outlive(Duration age) {
        Instant until = Instant.now().plus(age).plusMillis(200);
        Awaitility.await("the messages are older than " + age).atMost(age.plusSeconds(5)).pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(20)).until(() -> Instant.now().isAfter(until));
    }

    /** Enforces retention until the oldest stored position is {@code oldest}; returns the description then. */
    private static TopicDescription removeUntilOldest(Streamable streamable, String topic, Position oldest) {
        TopicStore store = streamable.backend().topic(topic);
        return Awaitility.await("retention removed everything before " + oldest).atMost(TIMEOUT)
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).until(() -> {
                    store.enforceRetention();
                    return streamable.describeTopic(topic);
                }, description -> description.oldest().equals(Optional.of(oldest)));
    }

    /** The seqs an anonymous consumer from {@code start} handles until it catches up after {@code count}. */
    private static List<Integer> readAll(Streamable streamable, Topic<Event> topic, StartFrom start, int count) {
        Recorder<Event> recorder = new Recorder<>();
        try (Consumer<Event> consumer = streamable.consumer(topic).startFrom(start).handler(recorder)
                .onCaughtUp(recorder::caughtUp).start()) {
            recorder.awaitDrained(count, TIMEOUT);
            return recorder.handled().stream().map(Message::payload).map(Event::seq).toList();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Retention")
    class Removal {

        @ContractTest
        @DisplayName("by age removes the old prefix only; the newer messages stay, in order")
        void byAgeRemovesThePrefix() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-age");
            Producer<Event> producer = streamable.producer(topic);
            streamable.configureTopic(topic.name(), Retention.maxAge(age));
            append(producer, 1, 5);
            outlive(age);
            List<Position> young = append(producer, 6, 8);

            TopicDescription description = removeUntilOldest(streamable, topic.name(), young.get(0));

            assertThat(description.retention()).isEqualTo(Retention.maxAge(age));
            assertThat(description.newest()).contains(young.get(2));
            assertThat(readAll(connect(), topic, StartFrom.beginning(), 3)).isEqualTo(range(6, 8));
            assertThat(connect().describeTopic(topic.name()).retention()).as("stored with the topic, seen by every"
                    + " connection").isEqualTo(Retention.maxAge(age));
        }

        @ContractTest
        @DisplayName("never removes the newest message, however old it is")
        void neverTheNewest() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-newest");
            List<Position> positions = append(streamable.producer(topic), 1, 4);
            streamable.configureTopic(topic.name(), Retention.maxAge(age));
            outlive(age);

            if (serverRetention()) {
                // the broker's own age retention may remove a partition's every record (Kafka rolls the
                // active segment); enforceRetention() keeps the newest, and offsets are never handed out again
                streamable.backend().topic(topic.name()).enforceRetention();
                TopicDescription description = streamable.describeTopic(topic.name());
                assertThat(description.newest()).contains(positions.get(3));
                assertThat(description.oldest()).satisfiesAnyOf(oldest -> assertThat(oldest).isEmpty(),
                        oldest -> assertThat(oldest).contains(positions.get(3)));
            } else {
                removeUntilOldest(streamable, topic.name(), positions.get(3));
                assertThat(readAll(connect(), topic, StartFrom.beginning(), 1)).isEqualTo(List.of(4));
            }
            List<Position> next = append(connect().producer(topic), 5, 5);
            assertThat(next.get(0).offsets()).as("the next append continues after the newest, never in the removed"
                    + " prefix").allSatisfy((partition, offset) -> assertThat(offset)
                    .isGreaterThan(positions.get(3).offset(partition).orElse(-1)));
        }

        @ContractTest
        @DisplayName("by count keeps the newest N (or is refused where the server has no count limit)")
        void byCount() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-count");
            if (serverRetention()) {
                assertThatThrownBy(() -> streamable.configureTopic(topic.name(), Retention.maxMessages(3)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxMessages");
                return;
            }
            List<Position> positions = append(streamable.producer(topic), 1, 10);
            streamable.configureTopic(topic.name(), Retention.maxMessages(3));

            removeUntilOldest(streamable, topic.name(), positions.get(7));

            assertThat(readAll(connect(), topic, StartFrom.beginning(), 3)).isEqualTo(range(8, 10));
            append(streamable.producer(topic), 11, 12);
            removeUntilOldest(streamable, topic.name(), positions.get(7).offset(0).isPresent()
                    ? Position.of(positions.get(7).offset(0).getAsLong() + 2) : positions.get(9));
            assertThat(readAll(connect(), topic, StartFrom.beginning(), 3)).isEqualTo(range(10, 12));
        }

        @ContractTest
        @DisplayName("can be changed later, and forever keeps everything from then on")
        void changeable() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-change");
            streamable.configureTopic(topic.name(), Retention.maxAge(Duration.ofDays(7)));
            assertThat(connect().describeTopic(topic.name()).retention()).isEqualTo(Retention.maxAge(Duration.ofDays(7)));
            streamable.configureTopic(topic.name(), Retention.forever());
            append(streamable.producer(topic), 1, 3);
            streamable.backend().topic(topic.name()).enforceRetention();
            TopicDescription description = connect().describeTopic(topic.name());
            assertThat(description.retention()).isEqualTo(Retention.forever());
            assertThat(readAll(connect(), topic, StartFrom.beginning(), 3)).isEqualTo(range(1, 3));
            assertThat(description.oldestCreatedAt()).isPresent();
            assertThat(description.newestCreatedAt()).isPresent();
            assertThat(description.oldestCreatedAt().get()).isBeforeOrEqualTo(description.newestCreatedAt().get());
        }
    }

    @Nested
    @DisplayName("A consumer behind the removed prefix")
    class Behind {

        @ContractTest
        @DisplayName("resumes at the oldest message kept and is told how many positions it missed; lag counts what is stored")
        void resumesAndReports() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-behind");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> read = append(producer, 1, 3);
            Recorder<Event> first = new Recorder<>();
            try (Consumer<Event> consumer = streamable.consumer(topic).name("slow").handler(first)
                    .onCaughtUp(first::caughtUp).start()) {
                first.awaitDrained(3, TIMEOUT);
            }
            append(producer, 4, 7);
            outlive(age);
            List<Position> kept = append(producer, 8, 10);
            streamable.configureTopic(topic.name(), Retention.maxAge(age));
            removeUntilOldest(streamable, topic.name(), kept.get(0));
            assertThat(streamable.backend().topic(topic.name()).lag(Optional.of(read.get(2))))
                    .as("lag counts only what is still stored").isEqualTo(3);

            List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
            Recorder<Event> second = new Recorder<>();
            try (Consumer<Event> consumer = connect().consumer(topic).name("slow").handler(second)
                    .onCaughtUp(second::caughtUp).onRetentionGap(gaps::add).start()) {
                second.awaitDrained(3, TIMEOUT);
                assertThat(consumer.lag()).isZero();
            }

            assertThat(second.payloads().stream().map(Event::seq).toList()).isEqualTo(range(8, 10));
            assertThat(gaps).as("the gap reported").isNotEmpty();
            assertThat(gaps.stream().mapToLong(RetentionGap::removedUnread).sum()).as("positions removed unread")
                    .isEqualTo(4);
            RetentionGap gap = gaps.get(gaps.size() - 1);
            assertThat(gap.topic()).isEqualTo(topic.name());
            int partition = kept.get(0).offsets().firstKey();
            assertThat(gap.partition()).isEqualTo(partition);
            assertThat(gap.oldestKept()).isEqualTo(kept.get(0).offset(partition).getAsLong());
        }

        @ContractTest
        @DisplayName("a new consumer from the beginning starts at the oldest message kept, with nothing to report")
        void beginningIsTheOldestKept() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-beginning");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 3);
            outlive(age);
            List<Position> kept = append(producer, 4, 5);
            streamable.configureTopic(topic.name(), Retention.maxAge(age));
            removeUntilOldest(streamable, topic.name(), kept.get(0));

            List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
            Recorder<Event> recorder = new Recorder<>();
            try (Consumer<Event> consumer = connect().consumer(topic).name("fresh").handler(recorder)
                    .onCaughtUp(recorder::caughtUp).onRetentionGap(gaps::add).start()) {
                recorder.awaitDrained(2, TIMEOUT);
            }
            assertThat(recorder.payloads().stream().map(Event::seq).toList()).isEqualTo(range(4, 5));
            assertThat(gaps).isEmpty();
        }

        @ContractTest
        @DisplayName("a running consumer that retention overtakes receives every message kept, and each one it misses lies"
                + " in a gap it was told of: nothing is skipped silently")
        void overtakenWhileRunning() throws Exception {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-overtaken");
            Producer<Event> producer = streamable.producer(topic);
            List<Position> positions = new ArrayList<>(append(producer, 1, 3));
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
            Recorder<Event> recorder = new Recorder<>(message -> {
                if (message.payload().seq() == 1) {
                    entered.countDown();
                    release.await(); // a slow handler: the consumer stays behind while retention removes
                }
            });
            // one message per read: the reader stays behind, instead of fetching what the producer appends next
            try (Consumer<Event> consumer = streamable.consumer(topic).name("overtaken").batchSize(1).handler(recorder)
                    .onRetentionGap(gaps::add).start()) {
                assertThat(entered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the handler got message 1").isTrue();
                positions.addAll(append(producer, 4, 7));
                outlive(age);
                List<Position> kept = append(producer, 8, 10);
                positions.addAll(kept);
                streamable.configureTopic(topic.name(), Retention.maxAge(age));
                removeUntilOldest(streamable, topic.name(), kept.get(0));
                release.countDown();
                Awaitility.await("message 10 handled").atMost(TIMEOUT).until(() -> recorder.payloads().stream()
                        .anyMatch(event -> event.seq() == 10));
            }

            List<Integer> seqs = recorder.payloads().stream().map(Event::seq).toList();
            System.out.println("RETENTION overtaken while running: delivered " + seqs + ", gaps reported " + gaps);
            assertThat(seqs).as("in order, each once").isSorted().doesNotHaveDuplicates();
            // 8 and 9 may age out too before a slow consumer reaches them (the age is short): then a gap says so
            assertThat(seqs).as("the message in the handler and the newest, which retention never removes")
                    .contains(1, 10);
            int partition = positions.get(0).offsets().firstKey();
            for (int seq = 2; seq <= 9; seq++) {
                if (seqs.contains(seq)) {
                    continue; // read before retention removed it, or kept
                }
                long offset = positions.get(seq - 1).offset(partition).getAsLong();
                assertThat(gaps).as("message %s (offset %s) was not delivered: a reported gap must cover it", seq, offset)
                        .anySatisfy(gap -> assertThat(offset).isGreaterThanOrEqualTo(gap.firstRemoved())
                                .isLessThan(gap.oldestKept()));
            }
        }
    }

    @Nested
    @DisplayName("Starting at an instant")
    class At {

        @ContractTest
        @DisplayName("a consumer started at(t) receives exactly the messages created at or after t")
        void exactlyFromTheInstant() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("at");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 20);
            Instant t = Instant.now();
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> Instant.now().isAfter(t.plusMillis(5)));
            append(producer, 21, 30);

            Recorder<Event> everything = new Recorder<>();
            try (Consumer<Event> consumer = connect().consumer(topic).handler(everything)
                    .onCaughtUp(everything::caughtUp).start()) {
                everything.awaitDrained(30, TIMEOUT);
            }
            List<Integer> expected = everything.handled().stream().filter(m -> !m.createdAt().isBefore(t))
                    .map(m -> m.payload().seq()).toList();
            assertThat(expected).as("what the clock says was created at or after t").isEqualTo(range(21, 30));

            assertThat(readAll(connect(), topic, StartFrom.at(t), expected.size())).isEqualTo(expected);
            assertThat(readAll(connect(), topic, StartFrom.at(Instant.EPOCH), 30)).as("an instant before everything")
                    .isEqualTo(range(1, 30));
            Recorder<Event> named = new Recorder<>();
            try (Consumer<Event> consumer = connect().consumer(topic).name("time-traveller").startFrom(StartFrom.at(t))
                    .handler(named).onCaughtUp(named::caughtUp).start()) {
                named.awaitDrained(10, TIMEOUT);
            }
            assertThat(named.payloads().stream().map(Event::seq).toList()).isEqualTo(range(21, 30));
        }

        @ContractTest
        @DisplayName("an instant after every message delivers only what is created from then on")
        void afterEverything() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("at-future");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 5);
            Instant t = Instant.now().plusMillis(5);
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> Instant.now().isAfter(t.plusMillis(5)));
            Recorder<Event> recorder = new Recorder<>();
            try (Consumer<Event> consumer = connect().consumer(topic).startFrom(StartFrom.at(t)).handler(recorder)
                    .onCaughtUp(recorder::caughtUp).start()) {
                consumer.awaitCaughtUp(TIMEOUT);
                append(producer, 6, 7);
                recorder.awaitCount(2, TIMEOUT);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertThat(recorder.payloads().stream().map(Event::seq).toList()).isEqualTo(range(6, 7));
        }
    }

    @Nested
    @DisplayName("With consumer groups")
    class WithGroups {
        private static final String GROUP = "workers";

        private boolean groups() {
            return fixture().capabilities().contains(Capability.RETENTION_WITH_GROUPS);
        }

        /** Appends seqs {@code first..last}, each on key {@code keys[seq % size]}. */
        private List<Position> appendKeyed(Producer<Event> producer, List<String> keys, int first, int last) {
            return producer.appendAllAndWait(IntStream.rangeClosed(first, last).mapToObj(seq -> {
                String key = keys.get(seq % keys.size());
                return OutgoingMessage.of(key, Event.of(key, seq));
            }).toList());
        }

        private Consumer<Event> member(Topic<Event> topic, Recorder<Event> recorder, List<RetentionGap> gaps) {
            return connect().consumer(topic).name(GROUP).startFrom(StartFrom.beginning()).handler(recorder)
                    .onRetentionGap(gaps::add).start();
        }

        private static List<Integer> seqs(Collection<Recorder<Event>> recorders) {
            return recorders.stream().flatMap(recorder -> recorder.payloads().stream()).map(Event::seq).sorted().toList();
        }

        /** Waits until every member owns a slot, so the group has settled on its share. */
        private void awaitShared(List<Consumer<Event>> members) {
            if (members.size() < 2) {
                return;
            }
            Awaitility.await("every member owns slots").atMost(TIMEOUT).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(20)).until(() -> members.stream().allMatch(member ->
                            member.assignment().map(GroupAssignment::slots).map(slots -> !slots.isEmpty()).orElse(false)));
        }

        private void awaitHandled(List<Recorder<Event>> recorders, List<Integer> expected) {
            Awaitility.await("the group handled " + expected.size() + " messages").atMost(TIMEOUT)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> assertThat(seqs(recorders)).isEqualTo(expected));
        }

        @ContractTest
        @DisplayName("a member restarted behind the removed prefix reports the gap and receives exactly every kept"
                + " message; nothing kept is lost across the group")
        void restartedMemberReportsTheGap() throws Exception {
            // the group story needs the capability; without it a group of one on one key tells the same
            // story, which every backend must satisfy
            int memberCount = groups() ? 2 : 1;
            List<String> keys = groups() ? IntStream.range(0, 8).mapToObj(i -> "key-" + i).toList() : List.of("k");
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-group");
            Producer<Event> producer = streamable.producer(topic);

            // the members share the first batch, then close one after the other, committing what they handled;
            // while any member is live it takes the slots of one that closed and reads them before retention can
            // remove them, so the gap appears only for the slots that wait for a restart
            List<Recorder<Event>> before = new ArrayList<>();
            List<Consumer<Event>> members = new ArrayList<>();
            for (int i = 0; i < memberCount; i++) {
                Recorder<Event> recorder = new Recorder<>();
                before.add(recorder);
                members.add(member(topic, recorder, new CopyOnWriteArrayList<>()));
            }
            awaitShared(members);
            appendKeyed(producer, keys, 1, 40);
            awaitHandled(before, range(1, 40));
            for (int i = members.size() - 1; i >= 0; i--) {
                members.get(i).close();
            }

            // while the group is down: 60 more, of which retention keeps the newest 20
            List<Position> second;
            if (serverRetention()) {
                second = new ArrayList<>(appendKeyed(producer, keys, 41, 80));
                outlive(age);
                second.addAll(appendKeyed(producer, keys, 81, 100));
                streamable.configureTopic(topic.name(), Retention.maxAge(age));
            } else {
                second = appendKeyed(producer, keys, 41, 100);
                streamable.configureTopic(topic.name(), Retention.maxMessages(20));
            }
            Position oldestKept = second.get(40);
            removeUntilOldest(streamable, topic.name(), oldestKept);
            TopicStore store = streamable.backend().topic(topic.name());
            // Kafka's group description still counts lag from the committed offsets (below the log start): not yet
            if (groups() && store instanceof ConsumerGroups slotTable) {
                GroupDescription described = slotTable.describeGroup(GROUP).orElseThrow();
                assertThat(described.slots().stream().mapToLong(GroupDescription.SlotState::lag).sum())
                        .as("the group's lag counts only what is stored").isEqualTo(20);
            }

            // the first member restarts alone: it owns every slot, reports the gap and gets every kept message
            List<RetentionGap> gaps = new CopyOnWriteArrayList<>();
            List<Recorder<Event>> after = new ArrayList<>();
            after.add(new Recorder<>());
            List<Consumer<Event>> restarted = new ArrayList<>();
            restarted.add(member(topic, after.get(0), gaps));
            awaitHandled(after, range(81, 100));
            int partition = oldestKept.offsets().firstKey();
            long keptOffset = oldestKept.offset(partition).getAsLong();
            long firstUnreadOffset = second.get(0).offset(partition).getAsLong();
            Awaitility.await("the gap reported").atMost(TIMEOUT).until(() -> !gaps.isEmpty());
            assertThat(gaps).as("each gap ends at the oldest kept message, in its partition")
                    .allSatisfy(gap -> {
                        assertThat(gap.topic()).isEqualTo(topic.name());
                        assertThat(gap.partition()).isEqualTo(partition);
                        assertThat(gap.oldestKept()).isEqualTo(keptOffset);
                    });
            assertThat(gaps.stream().mapToLong(RetentionGap::firstRemoved).min().getAsLong())
                    .as("the gap covers every removed message the group had not committed")
                    .isLessThanOrEqualTo(firstUnreadOffset);
            if (memberCount == 1) {
                assertThat(gaps.stream().mapToLong(RetentionGap::removedUnread).sum()).as("positions removed unread")
                        .isEqualTo(keptOffset - firstUnreadOffset);
            }

            // the other members rejoin and the group shares new messages: each handled once, nothing kept lost
            for (int i = 1; i < memberCount; i++) {
                after.add(new Recorder<>());
                restarted.add(member(topic, after.get(i), gaps));
            }
            awaitShared(restarted);
            appendKeyed(producer, keys, 101, 120);
            awaitHandled(after, range(81, 120));
            for (Consumer<Event> consumer : restarted) {
                Awaitility.await("caught up").atMost(TIMEOUT).pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(20)).until(() -> consumer.lag() == 0);
            }
            if (memberCount > 1) {
                assertThat(after).as("the group shares the new messages").allSatisfy(recorder ->
                        assertThat(recorder.payloads().stream().map(Event::seq).filter(seq -> seq > 100)).isNotEmpty());
            }
            assertThat(Stream.of(before, after).flatMap(List::stream).flatMap(recorder -> recorder.payloads().stream())
                    .map(Event::seq).filter(seq -> seq <= 40 || seq > 80).distinct().count())
                    .as("every kept message handled across the group").isEqualTo(80);
        }
    
        @ContractTest
        @DisplayName("a new group started at(t), and a group reset to t, resume every slot at the first message created at or after t")
        void groupAtAnInstant() throws Exception {
            int memberCount = groups() ? 2 : 1;
            List<String> keys = groups() ? IntStream.range(0, 8).mapToObj(i -> "key-" + i).toList() : List.of("k");
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("retention-group-at");
            Producer<Event> producer = streamable.producer(topic);
            appendKeyed(producer, keys, 1, 20);
            Instant t = Instant.now();
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> Instant.now().isAfter(t.plusMillis(5)));
            appendKeyed(producer, keys, 21, 40);

            for (int round = 0; round < 2; round++) {
                if (round == 1) {
                    // the group has committed everything: the reset moves every slot back to t
                    streamable.resetConsumer(topic.name(), GROUP, StartFrom.at(t));
                }
                List<Recorder<Event>> recorders = new ArrayList<>();
                List<Consumer<Event>> members = new ArrayList<>();
                for (int i = 0; i < memberCount; i++) {
                    Recorder<Event> recorder = new Recorder<>();
                    recorders.add(recorder);
                    members.add(connect().consumer(topic).name(GROUP).startFrom(StartFrom.at(t)).handler(recorder)
                            .start());
                }
                awaitHandled(recorders, range(21, 40));
                for (Consumer<Event> member : members) {
                    Awaitility.await("caught up").atMost(TIMEOUT).pollDelay(Duration.ZERO)
                            .pollInterval(Duration.ofMillis(20)).until(() -> member.lag() == 0);
                }
                for (int i = members.size() - 1; i >= 0; i--) {
                    members.get(i).close();
                }
                assertThat(seqs(recorders)).as("round %d: exactly what was created at or after t, once", round)
                        .isEqualTo(range(21, 40));
            }
        }
}
}
