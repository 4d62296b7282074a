package io.streamable.state.processor;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class StateProcessorTest {

    record Deposit(String account, long amount) {
    }

    record Balance(String account, long balance) {
    }

    static final Topic<Deposit> DEPOSITS = Topic.of("deposits", Deposit.class);
    static final Topic<Deposit> BONUSES = Topic.of("bonuses", Deposit.class);
    static final Topic<Balance> BALANCES = Topic.of("balances", Balance.class);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String topicUrl;
    private String stateUrl;

    @BeforeEach
    void urls() {
        topicUrl = "memory:processor-" + UUID.randomUUID();
        stateUrl = "memory:processor-state-" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private <C extends AutoCloseable> C closeLater(C closeable) {
        toClose.add(closeable);
        return closeable;
    }

    private StateStore<Long> balances() {
        return closeLater(SharedState.open(stateUrl)).store("balances", Long.class);
    }

    private static Step<Long, Balance> deposit(Optional<Long> balance, Message<Deposit> message) {
        long next = balance.orElse(0L) + message.payload().amount();
        return Step.of(next, OutgoingMessage.of(message.payload().account(), new Balance(message.payload().account(), next)));
    }

    private StateProcessorBuilder<Long, Balance> processor(String instanceId) {
        Streamable streamable = closeLater(Streamable.open(topicUrl));
        return StateProcessor.builder(streamable, balances(), BALANCES)
                .name("balances")
                .instanceId(instanceId)
                .input(DEPOSITS, message -> message.payload().account(), StateProcessorTest::deposit);
    }

    private void produce(Topic<Deposit> topic, int count) {
        try (Streamable streamable = Streamable.open(topicUrl); Producer<Deposit> producer = streamable.producer(topic)) {
            List<OutgoingMessage<Deposit>> batch = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String account = "acct-" + (i % 5);
                batch.add(OutgoingMessage.of(account, new Deposit(account, i + 1)));
            }
            producer.appendAllAndWait(batch);
        }
    }

    private List<Message<Balance>> outputs() throws InterruptedException {
        List<Message<Balance>> read = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(topicUrl);
             Consumer<Balance> consumer = streamable.consumer(BALANCES).startFrom(StartFrom.beginning())
                     .handler(read::add).onCaughtUp(caughtUp::countDown).start()) {
            assertThat(caughtUp.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(consumer.isRunning()).isTrue();
        }
        return new ArrayList<>(read);
    }

    private static long sumOfDeposits(int count) {
        return (long) count * (count + 1) / 2;
    }

    @Test
    @DisplayName("one instance folds its input into state and emits one output per message, with headers")
    void singleInstance() throws Exception {
        StateProcessor processor = closeLater(processor("a").start());
        assertThat(processor.consumerName()).as("memory: has consumer groups, so the group's name").isEqualTo("balances");
        produce(DEPOSITS, 50);
        StateStore<Long> state = balances();
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.stats().applied() == 50 && processor.lag() == 0);

        assertThat(state.entries("acct-").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sumOfDeposits(50));
        List<Message<Balance>> outputs = outputs();
        assertThat(outputs).hasSize(50);
        Message<Balance> last = outputs.stream().filter(m -> m.payload().account().equals("acct-4"))
                .reduce((first, second) -> second).orElseThrow();
        assertThat(last.payload().balance()).isEqualTo(state.get("acct-4").orElseThrow());
        assertThat(last.header(StateProcessor.KEY_HEADER)).contains("acct-4");
        // each output is stamped with the version its update wrote; the acknowledgement of the
        // previous output is one write in between, so versions go up by two per message
        assertThat(outputs.stream().filter(m -> m.payload().account().equals("acct-4"))
                .map(m -> Long.parseLong(m.header(StateProcessor.VERSION_HEADER).orElseThrow())))
                .containsExactly(1L, 3L, 5L, 7L, 9L, 11L, 13L, 15L, 17L, 19L);
        assertThat(state.read("acct-4").orElseThrow().version()).as("the last output acknowledged").isEqualTo(20);
        assertThat(last.header(StateProcessor.SOURCE_HEADER)).hasValueSatisfying(s -> assertThat(s).startsWith("deposits@"));
    }

    @Test
    @DisplayName("several instances at once form one group: together they handle, apply and emit each message exactly once")
    void severalInstances() throws Exception {
        List<StateProcessor> instances = List.of(closeLater(processor("a").start()), closeLater(processor("b").start()),
                closeLater(processor("c").start()));
        produce(DEPOSITS, 300);
        await().atMost(Duration.ofSeconds(60)).until(() -> instances.stream().allMatch(p -> p.lag() == 0)
                && instances.stream().mapToLong(p -> p.stats().applied()).sum() == 300);

        assertThat(instances.stream().mapToLong(p -> p.stats().handled()).sum())
                .as("each message handled once, by the instance that owns its key: no work done three times").isEqualTo(300);
        assertThat(instances.stream().mapToLong(p -> p.stats().alreadyApplied()).sum()).isZero();
        assertThat(instances.stream().mapToLong(p -> p.stats().emitted()).sum()).isEqualTo(300);
        assertThat(outputs()).hasSize(300);
        assertThat(balances().entries("").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sumOfDeposits(300));
    }

    @Test
    @DisplayName("an instance that closes hands its keys to the others, which go on from its last saved position: each message applied once")
    void instanceLeaves() throws Exception {
        StateProcessor a = closeLater(processor("a").start());
        StateProcessor b = closeLater(processor("b").start());
        produce(DEPOSITS, 100);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.stats().applied() + b.stats().applied() == 100);
        b.close();
        produce(DEPOSITS, 100);

        await().atMost(Duration.ofSeconds(60)).until(() -> a.stats().applied() + b.stats().applied() == 200 && a.lag() == 0);
        assertThat(balances().entries("").values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(sumOfDeposits(100) * 2);
        assertThat(a.stats().handled() + b.stats().handled()).as("a clean close hands over without redelivery").isEqualTo(200);
        assertThat(outputs()).hasSize(200);
    }

    @Test
    @DisplayName("sharded instances, two per shard, touch the store only for their shard and apply each message once")
    void shards() throws Exception {
        List<StateProcessor> instances = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d")) {
            int shard = id.equals("a") || id.equals("b") ? 0 : 1;
            instances.add(closeLater(processor(id).shard(shard, 2).start()));
        }
        assertThat(instances.get(0).consumerName()).as("the instances of a shard form a group").isEqualTo("balances.shard-0-of-2");
        produce(DEPOSITS, 200);
        await().atMost(Duration.ofSeconds(60)).until(() -> instances.stream().allMatch(p -> p.lag() == 0)
                && instances.stream().mapToLong(p -> p.stats().handled() + p.stats().otherShards()).sum() == 400);

        long shardZero = 0;
        for (int i = 0; i < 200; i++) {
            if (Math.floorMod(("acct-" + (i % 5)).hashCode(), 2) == 0) {
                shardZero++;
            }
        }
        for (int shard = 0; shard < 2; shard++) {
            long mine = shard == 0 ? shardZero : 200 - shardZero;
            List<StateProcessor> ofShard = instances.subList(shard * 2, shard * 2 + 2);
            assertThat(ofShard.stream().mapToLong(p -> p.stats().handled()).sum()).as("shard %s", shard).isEqualTo(mine);
            assertThat(ofShard.stream().mapToLong(p -> p.stats().otherShards()).sum()).isEqualTo(200 - mine);
        }
        assertThat(instances.stream().mapToLong(p -> p.stats().applied()).sum()).isEqualTo(200);
        assertThat(outputs()).hasSize(200);
        assertThat(balances().entries("").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sumOfDeposits(200));
    }

    @Test
    @DisplayName("a shard outside 0..count-1 is refused")
    void badShard() {
        assertThatThrownBy(() -> processor("a").shard(2, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 of 2");
    }

    @Test
    @DisplayName("a processor under a new name (a new group) replaying the whole topic is refused on every message and emits nothing")
    void replayEmitsNothing() throws Exception {
        StateProcessor first = closeLater(processor("a").start());
        produce(DEPOSITS, 40);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.stats().handled() == 40 && first.lag() == 0);
        first.close();

        StateProcessor replay = closeLater(processor("fresh").name("balances-renamed").start());
        await().atMost(Duration.ofSeconds(30)).until(() -> replay.stats().handled() == 40 && replay.lag() == 0);
        assertThat(replay.stats().alreadyApplied()).isEqualTo(40);
        assertThat(replay.stats().emitted()).isZero();
        assertThat(outputs()).hasSize(40);
        assertThat(balances().entries("").values().stream().mapToLong(Long::longValue).sum()).isEqualTo(sumOfDeposits(40));
    }

    @Test
    @DisplayName("several input topics update one state, each topic's positions recorded apart")
    void severalInputs() throws Exception {
        Streamable streamable = closeLater(Streamable.open(topicUrl));
        StateStore<Long> state = balances();
        StateProcessor processor = closeLater(StateProcessor.builder(streamable, state)
                .name("totals")
                .input(DEPOSITS, message -> message.payload().account(),
                        (current, message) -> Step.of(current.orElse(0L) + message.payload().amount()))
                .input(BONUSES, message -> message.payload().account(),
                        (current, message) -> Step.of(current.orElse(0L) + 1000 * message.payload().amount()))
                .start());
        produce(DEPOSITS, 10);
        produce(BONUSES, 10);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.stats().applied() == 20 && processor.lag() == 0);
        assertThat(state.entries("").values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(sumOfDeposits(10) * 1001);
        assertThat(state.read("acct-0").orElseThrow().applied()).containsOnlyKeys("deposits", "bonuses");
    }

    @Test
    @DisplayName("a transition that emits without an output topic fails before writing state")
    void emitWithoutOutput() throws Exception {
        Streamable streamable = closeLater(Streamable.open(topicUrl));
        StateStore<Long> state = balances();
        StateProcessor processor = closeLater(StateProcessor.builder(streamable, state)
                .name("broken")
                .failurePolicy(FailurePolicy.stopOnFirstFailure())
                .input(DEPOSITS, message -> message.payload().account(),
                        (current, message) -> Step.<Long, Void>of(1L).emit("x", null))
                .start());
        produce(DEPOSITS, 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> processor.stopped().isDone());
        assertThat(processor.stopped()).isCompletedExceptionally();
        assertThat(processor.isRunning()).isFalse();
        assertThat(state.entries("")).isEmpty();
    }

    @Test
    @DisplayName("a missing name or input is refused with advice")
    void validation() {
        Streamable streamable = closeLater(Streamable.open(topicUrl));
        assertThatThrownBy(() -> StateProcessor.builder(streamable, balances()).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("name(");
        assertThatThrownBy(() -> StateProcessor.builder(streamable, balances()).name("p").start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("input(");
        assertThatThrownBy(() -> StateProcessor.builder(streamable, balances()).instanceId("has space"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("instance id");
    }
}
