package io.streamable.state.processor;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The issue's proof, for any state backend: 100 bank accounts, 20,000 deposits and withdrawals
 * from several producers on the in-memory topic backend, three processor instances at once, one
 * killed half-way (under its running handlers, which
 * may be between a state update and its output append) and a new one started. The
 * final balances must equal a sequential fold of the topic exactly, every message must be applied
 * exactly once, and the output topic must hold one event per applied message, never two, missing
 * at most the outputs of updates the killed instance made just before dying.
 *
 * <p>Withdrawals that exceed the balance are rejected, so the fold depends on the order of each
 * account's messages: applying one twice or out of order changes the result.
 */
public abstract class BankAccountsProof {
    // in package io.streamable.state.processor for the package-private afterStateUpdate test seam
    static final int ACCOUNTS = 100;
    static final int MESSAGES = 20_000;
    static final int PRODUCERS = 4;
    static final int CONCURRENCY = 4;

    /** An input message. */
    public enum Kind { DEPOSIT, WITHDRAWAL }

    /** A deposit or withdrawal, sharded by account. */
    public record Transaction(String id, String account, Kind kind, long amount) {
    }

    /** The state of one account. */
    public record Account(long balance, long deposits, long withdrawals, long rejected) {
        static final Account EMPTY = new Account(0, 0, 0, 0);

        Account apply(Transaction tx) {
            if (tx.kind() == Kind.DEPOSIT) {
                return new Account(balance + tx.amount(), deposits + 1, withdrawals, rejected);
            }
            return tx.amount() <= balance ? new Account(balance - tx.amount(), deposits, withdrawals + 1, rejected)
                    : new Account(balance, deposits, withdrawals, rejected + 1);
        }

        long transactions() {
            return deposits + withdrawals + rejected;
        }
    }

    /** The output event each applied transaction derives. */
    public record BalanceChanged(String txId, String account, Kind kind, long amount, boolean rejected, long balance) {
    }

    static final Topic<Transaction> TRANSACTIONS = Topic.of("transactions", Transaction.class);
    static final Topic<BalanceChanged> EVENTS = Topic.of("balance-events", BalanceChanged.class);

    /** A state URL whose stores are empty, seen by every connection opened with it. */
    protected abstract String stateUrl();

    /**
     * The id of the instance started after the kill: the killed one's id ({@code "b"}) resumes
     * after its saved position; a new id replays the topic from the beginning.
     */
    protected abstract String replacementInstanceId();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                // already closed by the test
            }
        }
    }

    /** One running processor instance with its own connections, as a separate process would have. */
    final class Instance {
        final Streamable streamable;
        final SharedState state;
        final StateProcessor processor;

        Instance(String topicUrl, String stateUrl, String id, java.util.function.Consumer<Message<?>> hook) {
            streamable = Streamable.open(topicUrl);
            state = SharedState.open(stateUrl);
            toClose.add(streamable);
            toClose.add(state);
            StateStore<Account> accounts = state.store("accounts", Account.class);
            processor = StateProcessor.builder(streamable, accounts, EVENTS)
                    .name("balances")
                    .instanceId(id)
                    .concurrency(CONCURRENCY)
                    .input(TRANSACTIONS, message -> message.payload().account(), BankAccountsProof::transition)
                    .afterStateUpdate(hook)
                    .start();
        }

        /** Dies without finishing: the connections go away under the running handlers. */
        void kill() {
            streamable.close();
            state.close();
        }
    }

    static Step<Account, BalanceChanged> transition(Optional<Account> current, Message<Transaction> message) {
        Transaction tx = message.payload();
        Account before = current.orElse(Account.EMPTY);
        Account after = before.apply(tx);
        boolean rejected = after.rejected() > before.rejected();
        return Step.of(after, OutgoingMessage.of(tx.account(),
                new BalanceChanged(tx.id(), tx.account(), tx.kind(), tx.amount(), rejected, after.balance())));
    }

    @Test
    @DisplayName("3 instances, one killed half-way and replaced: balances equal the sequential fold, each message applied once")
    void balancesEqualTheFoldOfTheTopic() throws Exception {
        String topicUrl = "memory:bank-" + UUID.randomUUID();
        String stateUrl = stateUrl();

        AtomicInteger appliedEverywhere = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        CountDownLatch killDone = new CountDownLatch(1);
        Set<String> lostOutputs = ConcurrentHashMap.newKeySet();
        Instance[] victim = new Instance[1];

        Set<String> appliedByVictim = ConcurrentHashMap.newKeySet();
        Runnable killVictimAtHalfWay = () -> {
            if (appliedEverywhere.incrementAndGet() >= MESSAGES / 2 && killed.compareAndSet(false, true)) {
                Thread killer = new Thread(() -> {
                    victim[0].kill();
                    killDone.countDown();
                }, "killer");
                killer.start();
            }
        };
        java.util.function.Consumer<Message<?>> count = message -> killVictimAtHalfWay.run();
        java.util.function.Consumer<Message<?>> victimHook = message -> {
            String txId = ((Transaction) message.payload()).id();
            appliedByVictim.add(txId);
            killVictimAtHalfWay.run();
            if (killed.get()) {
                // the state update is written; the process dies before appending its output
                lostOutputs.add(txId);
                throw new IllegalStateException("simulated crash between state update and append");
            }
        };

        List<Instance> live = new ArrayList<>();
        live.add(new Instance(topicUrl, stateUrl, "a", count));
        victim[0] = new Instance(topicUrl, stateUrl, "b", victimHook);
        live.add(new Instance(topicUrl, stateUrl, "c", count));

        Map<String, Integer> perAccount = produceConcurrently(topicUrl);

        assertThat(killDone.await(3, TimeUnit.MINUTES)).as("instance b was killed half-way").isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> victim[0].processor.stopped().isDone());
        ProcessorStats victimStats = victim[0].processor.stats();
        live.add(new Instance(topicUrl, stateUrl, replacementInstanceId(), count));

        try (SharedState observer = SharedState.open(stateUrl)) {
            StateStore<Account> accounts = observer.store("accounts", Account.class);
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(() ->
                    accounts.entries("acct-").values().stream().mapToLong(Account::transactions).sum() == MESSAGES
                            && live.stream().allMatch(instance -> instance.processor.lag() == 0));

            Map<String, Account> fold = sequentialFold(topicUrl);
            assertThat(fold.values().stream().mapToLong(Account::transactions).sum()).isEqualTo(MESSAGES);
            assertThat(accounts.entries("acct-")).as("state equals the sequential fold").isEqualTo(fold);
            fold.forEach((account, folded) ->
                    assertThat(folded.transactions()).isEqualTo(perAccount.get(account).longValue()));
        }

        long applied = victimStats.applied() + live.stream().mapToLong(i -> i.processor.stats().applied()).sum();
        assertThat(applied).as("every message applied exactly once over all instances").isEqualTo(MESSAGES);
        assertThat(live.stream().mapToLong(i -> i.processor.stats().alreadyApplied()).sum())
                .as("instances overlapped and were refused").isPositive();
        assertThat(victimStats.applied()).as("the victim did part of the work").isPositive();

        List<BalanceChanged> events = readAll(topicUrl, EVENTS);
        org.slf4j.LoggerFactory.getLogger(BankAccountsProof.class).info(
                "Proof on {}: victim applied {} before the kill ({} outputs cut off); live instances {}; {} output events",
                stateUrl.replaceAll("://.*@", "://****@"), victimStats.applied(), lostOutputs.size(),
                live.stream().map(i -> i.processor.instanceId() + "=" + i.processor.stats()).toList(), events.size());
        Map<String, Long> perTx = events.stream().collect(Collectors.groupingBy(BalanceChanged::txId, Collectors.counting()));
        assertThat(perTx.values()).as("no output event twice").allMatch(n -> n == 1);
        assertThat(events.stream().filter(e -> e.kind() == Kind.WITHDRAWAL && !e.rejected()).map(BalanceChanged::txId))
                .as("no withdrawal applied twice").doesNotHaveDuplicates();
        Set<String> missing = new HashSet<>(allTransactionIds());
        missing.removeAll(perTx.keySet());
        // Outputs can only be missing for updates the killed instance applied and did not get to
        // append: those its hook cut off (lostOutputs), plus at most one per lane whose append was
        // under way when its connection closed.
        assertThat(missing).as("outputs missing only for updates cut off by the kill")
                .containsAll(lostOutputs)
                .isSubsetOf(appliedByVictim)
                .hasSizeLessThanOrEqualTo(lostOutputs.size() + CONCURRENCY);
    }

    private final Set<String> produced = ConcurrentHashMap.newKeySet();

    private Set<String> allTransactionIds() {
        return produced;
    }

    /** Appends MESSAGES transactions from PRODUCERS producers at once; returns the count per account. */
    private Map<String, Integer> produceConcurrently(String topicUrl) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        Map<String, Integer> perAccount = new ConcurrentHashMap<>();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producerNumber = p;
                running.add(pool.submit(() -> {
                    Random random = new Random(1000 + producerNumber);
                    try (Streamable streamable = Streamable.open(topicUrl);
                         Producer<Transaction> producer = streamable.producer(TRANSACTIONS)) {
                        List<OutgoingMessage<Transaction>> batch = new ArrayList<>();
                        for (int i = 0; i < MESSAGES / PRODUCERS; i++) {
                            String account = "acct-" + random.nextInt(ACCOUNTS);
                            boolean deposit = random.nextInt(100) < 55;
                            Transaction tx = new Transaction("p" + producerNumber + "-" + i, account,
                                    deposit ? Kind.DEPOSIT : Kind.WITHDRAWAL,
                                    deposit ? 1 + random.nextInt(500) : 1 + random.nextInt(800));
                            produced.add(tx.id());
                            perAccount.merge(account, 1, Integer::sum);
                            batch.add(OutgoingMessage.of(account, tx));
                            if (batch.size() == 50) {
                                producer.appendAllAndWait(batch);
                                batch.clear();
                            }
                        }
                        producer.appendAllAndWait(batch);
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get(3, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        return perAccount;
    }

    /** Folds the topic one message after another, as a single-threaded processor would. */
    private static Map<String, Account> sequentialFold(String topicUrl) throws Exception {
        Map<String, Account> fold = new HashMap<>();
        for (Transaction tx : readAll(topicUrl, TRANSACTIONS)) {
            fold.put(tx.account(), fold.getOrDefault(tx.account(), Account.EMPTY).apply(tx));
        }
        return fold;
    }

    /** Every payload of a topic, in delivery order, read by an anonymous consumer from the beginning. */
    private static <T> List<T> readAll(String topicUrl, Topic<T> topic) throws Exception {
        List<T> payloads = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(topicUrl);
             Consumer<T> reader = streamable.consumer(topic).startFrom(StartFrom.beginning())
                     .handler(message -> payloads.add(message.payload()))
                     .onCaughtUp(caughtUp::countDown)
                     .start()) {
            assertThat(caughtUp.await(2, TimeUnit.MINUTES)).as("read " + topic.name() + " to its end").isTrue();
            assertThat(reader.isRunning()).isTrue();
        }
        return new ArrayList<>(payloads);
    }
}
