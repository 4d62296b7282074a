package io.streamable.examples.state;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import io.streamable.state.processor.StateProcessor;
import io.streamable.state.processor.Step;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

/**
 * A running-balance processor that can be started several times at once: each instance consumes
 * the {@code transactions} topic under its own consumer name, folds every transaction into the
 * account's balance in a shared state store with an apply-once update, and appends a
 * {@code BalanceChanged} event for the updates it applied. However many instances run, each
 * transaction is applied and announced once.
 *
 * <p>Two ways to run it:
 * <pre>
 * # one JVM: three instances, a producer, then the balances and who applied what
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.state.RunningBalance
 *
 * # several processes: shared topic and state backends, one stable id per instance
 * export STREAMABLE_URL=mongoredis://localhost:27017/bank?redis=redis://localhost:6379
 * export STREAMABLE_STATE_URL=mongodb://localhost:27017/bank
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.state.RunningBalance -Dexec.args="run host-1"
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.state.RunningBalance -Dexec.args="run host-2"
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.state.RunningBalance -Dexec.args="produce 1000"
 * </pre>
 */
public final class RunningBalance {

    /** A deposit (positive amount) or withdrawal (negative), sharded by account. */
    public record Transaction(String account, long amount) {
    }

    /** An account's balance and how many transactions made it. */
    public record Balance(long amount, long transactions) {
    }

    /** Announces a balance change. */
    public record BalanceChanged(String account, long change, long balance) {
    }

    static final Topic<Transaction> TRANSACTIONS = Topic.of("transactions", Transaction.class);
    static final Topic<BalanceChanged> CHANGES = Topic.of("balance-changes", BalanceChanged.class);

    private RunningBalance() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "demo";
        switch (mode) {
            case "run" -> run(args.length > 1 ? args[1] : "instance-1");
            case "produce" -> {
                try (Streamable streamable = Streamable.open()) {
                    produce(streamable, args.length > 1 ? Integer.parseInt(args[1]) : 1000);
                }
            }
            case "demo" -> demo();
            default -> System.err.println("Usage: RunningBalance [demo | run INSTANCE_ID | produce COUNT]");
        }
    }

    /** The processor: the same code for every instance. */
    static StateProcessor start(Streamable streamable, SharedState state, String instanceId) {
        StateStore<Balance> balances = state.store("balances", Balance.class);
        return StateProcessor.builder(streamable, balances, CHANGES)
                .name("running-balance")
                .instanceId(instanceId)
                .input(TRANSACTIONS, message -> message.payload().account(), RunningBalance::apply)
                .start();
    }

    /** Pure: the next balance and the event announcing it. */
    static Step<Balance, BalanceChanged> apply(Optional<Balance> current, Message<Transaction> message) {
        Transaction tx = message.payload();
        Balance before = current.orElse(new Balance(0, 0));
        Balance after = new Balance(before.amount() + tx.amount(), before.transactions() + 1);
        return Step.of(after, OutgoingMessage.of(tx.account(), new BalanceChanged(tx.account(), tx.amount(), after.amount())));
    }

    /** One instance until Ctrl-C, on the backends named by STREAMABLE_URL and STREAMABLE_STATE_URL. */
    static void run(String instanceId) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(); SharedState state = SharedState.open();
             StateProcessor processor = start(streamable, state, instanceId)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.out.println("Instance " + instanceId + " running on " + streamable + " with " + state
                    + "; Ctrl-C to stop");
            while (!stop.await(5, java.util.concurrent.TimeUnit.SECONDS) && processor.isRunning()) {
                System.out.println(instanceId + ": " + processor.stats() + ", lag " + processor.lag());
            }
        }
    }

    static void produce(Streamable streamable, int count) {
        Random random = new Random(42);
        try (Producer<Transaction> producer = streamable.producer(TRANSACTIONS)) {
            List<OutgoingMessage<Transaction>> batch = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String account = "acct-" + random.nextInt(10);
                batch.add(OutgoingMessage.of(account, new Transaction(account, random.nextInt(200) - 80)));
            }
            producer.appendAllAndWait(batch);
        }
        System.out.println("Produced " + count + " transactions");
    }

    /** Three instances in one JVM on in-memory backends. */
    static void demo() throws InterruptedException {
        String topics = "memory:running-balance";
        String stateUrl = "memory:running-balance";
        List<Streamable> connections = new ArrayList<>();
        List<SharedState> states = new ArrayList<>();
        List<StateProcessor> instances = new ArrayList<>();
        try {
            for (String id : List.of("a", "b", "c")) {
                Streamable streamable = Streamable.open(topics);
                SharedState state = SharedState.open(stateUrl);
                connections.add(streamable);
                states.add(state);
                instances.add(start(streamable, state, id));
            }
            try (Streamable producerSide = Streamable.open(topics)) {
                produce(producerSide, 1000);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (instances.stream().mapToLong(p -> p.stats().applied()).sum() < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(50); // a demo's progress poll; tests use latches
            }
            StateStore<Balance> balances = states.get(0).store("balances", Balance.class);
            balances.forEach("acct-", (account, balance) -> System.out.println(account + " -> " + balance));
            for (StateProcessor instance : instances) {
                System.out.println("instance " + instance.instanceId() + ": " + instance.stats());
            }
        } finally {
            instances.forEach(StateProcessor::close);
            connections.forEach(Streamable::close);
            states.forEach(SharedState::close);
        }
    }
}
