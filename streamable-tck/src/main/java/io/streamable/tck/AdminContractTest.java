package io.streamable.tck;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.tck.ContractPayloads.Event;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The administration contract: moving and forgetting a named consumer's position, and deleting a
 * topic, through {@link Streamable#resetConsumer}, {@link Streamable#deleteConsumer} and
 * {@link Streamable#deleteTopic}. A backend proves itself by extending this class with the same
 * fixture as its {@link BackendContractTest}:
 *
 * <pre>{@code
 * class InMemoryAdminContractTest extends AdminContractTest {
 *     @Override
 *     protected BackendFixture fixture() {
 *         return () -> Streamable.open("memory:admin");
 *     }
 * }
 * }</pre>
 *
 * <p>Deleting a consumer or a topic that does not exist is a no-op on every backend. Each test
 * works on topics of its own. The fencing test needs {@link BackendFixture#suspendOwnership}.
 */
public abstract class AdminContractTest {
    /** The longest any single wait may take before a test fails: generous, for loaded CI machines. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final TestResources resources = new TestResources(this::fixture);

    /**
     * The backend under test. Called once per test; every connection its {@link BackendFixture#open()}
     * makes must see the same stored data.
     *
     * @return the fixture of the backend under test
     */
    protected abstract BackendFixture fixture();

    @AfterEach
    void closeWhatTheTestOpened() throws Exception {
        resources.closeAll();
    }

    /** {@return a new connection to the backend, closed after the test} */
    protected final Streamable connect() {
        return resources.connect();
    }

    private static Topic<Event> eventTopic(String purpose) {
        return Topic.of("tck-" + purpose + "-" + UUID.randomUUID(), Event.class);
    }

    private static ConsumerBuilder<Event> consumer(Streamable streamable, Topic<Event> topic, Recorder<Event> recorder) {
        return streamable.consumer(topic).handler(recorder).onCaughtUp(recorder::caughtUp);
    }

    /** Appends events {@code first .. first+count-1} under one key and returns their positions. */
    private static List<Position> append(Producer<Event> producer, int first, int count) {
        return producer.appendAllAndWait(IntStream.range(first, first + count)
                .mapToObj(seq -> OutgoingMessage.of("k", Event.of("k", seq))).toList());
    }

    /** Runs a named consumer until it has caught up after {@code count} messages, closes it and returns their seqs. */
    private static List<Integer> runUntilCaughtUp(Streamable streamable, Topic<Event> topic, String name,
                                                  StartFrom fallback, int count) {
        Recorder<Event> recorder = new Recorder<>();
        Consumer<Event> consumer = consumer(streamable, topic, recorder).name(name).startFrom(fallback).start();
        try {
            recorder.awaitDrained(count, TIMEOUT);
            return recorder.handled().stream().map(Message::payload).map(Event::seq).toList();
        } finally {
            consumer.close();
        }
    }

    private static List<Integer> range(int first, int last) {
        return IntStream.rangeClosed(first, last).boxed().toList();
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Resetting a consumer")
    class Reset {

        @ContractTest
        @DisplayName("a consumer reset to the beginning gets every message again on its next start")
        void toBeginningRedeliversEverything() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("reset-beginning");
            append(streamable.producer(topic), 1, 5);
            assertThat(runUntilCaughtUp(streamable, topic, "replayer", StartFrom.beginning(), 5)).isEqualTo(range(1, 5));

            connect().resetConsumer(topic.name(), "replayer", StartFrom.beginning());

            assertThat(runUntilCaughtUp(connect(), topic, "replayer", StartFrom.latest(), 5))
                    .as("everything again, although its own start would be latest").isEqualTo(range(1, 5));
            assertThat(streamable.backend().topic(topic.name()).consumerNames()).contains("replayer");
        }

        @ContractTest
        @DisplayName("a consumer reset to after a position resumes right after it, also backwards")
        void toAfterPositionResumesThere() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("reset-after");
            List<Position> positions = append(streamable.producer(topic), 1, 6);
            assertThat(runUntilCaughtUp(streamable, topic, "rewinder", StartFrom.beginning(), 6)).isEqualTo(range(1, 6));

            streamable.resetConsumer(topic.name(), "rewinder", StartFrom.after(positions.get(2)));

            assertThat(streamable.backend().topic(topic.name()).savedPosition("rewinder")).as("the saved position")
                    .hasValueSatisfying(saved -> assertThat(saved.covers(positions.get(2))).isTrue());
            assertThat(runUntilCaughtUp(connect(), topic, "rewinder", StartFrom.beginning(), 3)).isEqualTo(range(4, 6));
        }

        @ContractTest
        @DisplayName("a consumer reset to latest skips what is stored now and gets what comes later")
        void toLatestSkipsStored() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("reset-latest");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 3);

            streamable.resetConsumer(topic.name(), "skipper", StartFrom.latest());
            append(producer, 4, 2);

            assertThat(runUntilCaughtUp(connect(), topic, "skipper", StartFrom.beginning(), 2)).isEqualTo(range(4, 5));
        }

        @ContractTest
        @DisplayName("resetting a live consumer is refused and leaves it undisturbed")
        void refusedWhileLive() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("reset-live");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 3);
            Recorder<Event> recorder = new Recorder<>();
            Consumer<Event> live = consumer(streamable, topic, recorder).name("busy").startFrom(StartFrom.beginning()).start();
            recorder.awaitDrained(3, TIMEOUT);

            assertThatThrownBy(() -> connect().resetConsumer(topic.name(), "busy", StartFrom.beginning()))
                    .isInstanceOf(ConsumerNameInUseException.class);
            assertThatThrownBy(() -> connect().deleteConsumer(topic.name(), "busy"))
                    .isInstanceOf(ConsumerNameInUseException.class);
            append(producer, 4, 2);
            recorder.awaitDrained(5, TIMEOUT);
            live.close();

            assertThat(recorder.handled()).extracting(message -> message.payload().seq()).containsExactly(1, 2, 3, 4, 5);
            assertThat(runUntilCaughtUp(connect(), topic, "busy", StartFrom.beginning(), 0)).as("nothing moved back")
                    .isEmpty();
        }
    }

    @Nested
    @DisplayName("Fencing")
    class Fencing {

        @ContractTest
        @DisplayName("a reset fences a paused holder whose lease expired: its later commit is refused and the reset stands")
        void resetFencesExpiredHolder() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("reset-fenced");
            List<Position> positions = append(streamable.producer(topic), 1, 4);
            TopicReader paused = resources.track(streamable.backend().topic(topic.name())
                    .openReader(ReaderSpec.named("paused", StartFrom.beginning())));
            paused.commit(positions.get(1));

            resources.fixture().suspendOwnership(paused);
            Awaitility.await("the reset accepted once the paused reader's lease expired").atMost(TIMEOUT)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsInstanceOf(ConsumerNameInUseException.class)
                    .untilAsserted(() -> connect().resetConsumer(topic.name(), "paused", StartFrom.beginning()));

            assertThatThrownBy(() -> paused.commit(positions.get(3))).isInstanceOf(ConsumerFencedException.class);
            assertThat(runUntilCaughtUp(connect(), topic, "paused", StartFrom.latest(), 4))
                    .as("the reset stands: everything again").isEqualTo(range(1, 4));
        }
    }

    @Nested
    @DisplayName("Deleting a consumer")
    class DeleteConsumer {

        @ContractTest
        @DisplayName("a deleted consumer's next start uses its own start again")
        void nextStartUsesStartFrom() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("delete-consumer");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 4);
            assertThat(runUntilCaughtUp(streamable, topic, "forgotten", StartFrom.beginning(), 4)).isEqualTo(range(1, 4));

            streamable.deleteConsumer(topic.name(), "forgotten");

            assertThat(streamable.backend().topic(topic.name()).consumerNames()).doesNotContain("forgotten");
            assertThat(streamable.backend().topic(topic.name()).savedPosition("forgotten")).isEmpty();
            assertThat(runUntilCaughtUp(connect(), topic, "forgotten", StartFrom.beginning(), 4)).isEqualTo(range(1, 4));
        }

        @ContractTest
        @DisplayName("deleting a consumer that saved nothing does nothing")
        void unknownConsumerIsNoOp() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("delete-unknown-consumer");
            append(streamable.producer(topic), 1, 1);

            assertThatCode(() -> streamable.deleteConsumer(topic.name(), "never-started")).doesNotThrowAnyException();
            assertThat(streamable.backend().topic(topic.name()).consumerNames()).doesNotContain("never-started");
        }
    }

    @Nested
    @DisplayName("Deleting a topic")
    class DeleteTopic {

        @ContractTest
        @DisplayName("a deleted topic leaves topics(), and its messages and consumers are gone")
        void removesMessagesAndConsumers() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("delete-topic");
            append(streamable.producer(topic), 1, 3);
            runUntilCaughtUp(streamable, topic, "reader", StartFrom.beginning(), 3);
            assertThat(streamable.topics()).contains(topic.name());

            streamable.deleteTopic(topic.name());

            Streamable other = connect();
            assertThat(other.topics()).doesNotContain(topic.name());
            assertThat(other.backend().topic(topic.name()).consumerNames()).as("consumer names").isEmpty();
            assertThat(other.backend().topic(topic.name()).head()).as("messages").isEmpty();
        }

        @ContractTest
        @DisplayName("a topic used again after deletion starts empty and works")
        void reusableAfterDeletion() {
            Streamable first = connect();
            Topic<Event> topic = eventTopic("delete-reuse");
            append(first.producer(topic), 1, 3);
            runUntilCaughtUp(first, topic, "reader", StartFrom.beginning(), 3);
            first.deleteTopic(topic.name());

            Streamable second = connect();
            append(second.producer(topic), 10, 2);

            assertThat(runUntilCaughtUp(second, topic, "reader", StartFrom.beginning(), 2)).containsExactly(10, 11);
        }

        @ContractTest
        @DisplayName("the deleting connection's own producer and consumers work on the topic used again")
        void sameConnectionAfterDeletion() {
            Streamable streamable = connect();
            Topic<Event> topic = eventTopic("delete-same");
            Producer<Event> producer = streamable.producer(topic);
            append(producer, 1, 3);
            runUntilCaughtUp(streamable, topic, "reader", StartFrom.beginning(), 3);
            streamable.deleteTopic(topic.name());

            append(streamable.producer(topic), 10, 2);

            assertThat(runUntilCaughtUp(streamable, topic, "reader", StartFrom.beginning(), 2)).containsExactly(10, 11);
            assertThat(runUntilCaughtUp(connect(), topic, "other", StartFrom.beginning(), 2)).containsExactly(10, 11);
        }

        @ContractTest
        @DisplayName("deleting a topic that does not exist does nothing; an internal name is refused")
        void unknownTopicIsNoOpInternalRefused() {
            Streamable streamable = connect();
            String name = eventTopic("delete-unknown").name();

            assertThatCode(() -> streamable.deleteTopic(name)).doesNotThrowAnyException();
            assertThat(streamable.topics()).doesNotContain(name);
            assertThatThrownBy(() -> streamable.deleteTopic("__schemas." + name))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
