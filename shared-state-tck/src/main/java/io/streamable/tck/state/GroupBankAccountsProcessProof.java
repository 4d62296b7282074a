package io.streamable.tck.state;

import io.streamable.Message;
import io.streamable.Slots;
import io.streamable.Topic;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.PendingOutput;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import io.streamable.state.processor.ProcessorStats;
import io.streamable.state.processor.StateProcessor;
import io.streamable.state.processor.Step;
import io.streamable.tck.state.BankAccountsProof.Account;
import io.streamable.tck.state.BankAccountsProof.BalanceChanged;
import io.streamable.tck.state.BankAccountsProof.Kind;
import io.streamable.tck.state.BankAccountsProof.Transaction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The bank-accounts proof across processes, on a topic backend with consumer groups: three child
 * JVMs run the same {@link StateProcessor} (one name, so one consumer group), the test JVM appends
 * {@value #MESSAGES} deposits and withdrawals over {@value #ACCOUNTS} accounts from
 * {@value #PRODUCERS} producers at once (at most {@value #WINDOW} ahead of what the children
 * have handled), and kills one child with {@link Process#destroyForcibly()}
 * (SIGKILL on Linux) once half the transactions have been handled. The other two take over its
 * slots when its lease expires and finish.
 *
 * <p>Checked: before the kill each account was applied to by one instance only, each instance
 * applied only to the accounts of one group member's slots, and each had a share of the keys and of
 * the applied transactions of roughly a third; after it, only the victim's accounts changed hands,
 * each to one survivor; the final balances equal a sequential fold of the input topic; each
 * transaction was applied exactly once (the state counts its applications per instance, in the
 * same write as the balance, so even the killed instance's count survives it; output copies of
 * one transaction all carry one state version); and the output topic holds an event for every
 * transaction. Withdrawals that exceed the balance are rejected, so the fold depends on each
 * account's order: a message applied twice or out of order changes it.
 *
 * <p>The children report on standard output: a line per output about to be appended (the
 * {@link InterceptingStreamable} hook runs after the state write, before the append), their
 * consumer name once started and their stats when told to stop on standard input. The test waits
 * on those lines and on the group's state ({@link ConsumerGroups#describeGroup}), never on time.
 */
public abstract class GroupBankAccountsProcessProof {
    private static final Logger LOG = LoggerFactory.getLogger(GroupBankAccountsProcessProof.class);

    static final int ACCOUNTS = 100;
    /**
     * Half the in-JVM proof's 20,000: every message costs three processes several round trips to
     * the test JVM's servers, and 20,000 took over two minutes on a loaded two-core machine.
     */
    static final int MESSAGES = 10_000;
    static final int PRODUCERS = 4;
    static final int CONCURRENCY = 4;
    static final List<String> INSTANCES = List.of("a", "b", "c");
    static final String VICTIM = "b";
    static final String PROCESSOR = "group-balances";
    static final String STORE = "group-accounts";
    /**
     * Shorter than the default 30 s, so the output the victim left pending is appended by the others
     * soon; not so short that a live instance's slow append (several seconds on a loaded machine)
     * is appended a second time by another.
     */
    static final Duration OUTBOX_GRACE = Duration.ofSeconds(10);
    /**
     * The producers keep at most this many transactions not yet handled: the processors keep up,
     * no instance falls far behind the others (see {@link #MIN_SHARE}), the kill comes half-way
     * through the input as well, and the survivors' barrier before taking the victim's slots (their
     * messages in flight must finish first: up to 2,000 each without it, 30 s on a loaded machine)
     * is short.
     */
    static final int WINDOW = 500;
    /**
     * Bounds of each instance's share up to the kill, of the keys (the group's slots it owned, to
     * whose accounts alone it applied transactions) and of the transactions it applied. A third is
     * expected: 16 slots split 5/5/6, the accounts spread evenly over the slots. An instance that did
     * nothing, or most of the work, fails.
     *
     * <p>The message share holds these bounds because of the {@link #WINDOW}: an instance falls at
     * most that far behind the others, so at the kill (5,000 applied) a 5-slot instance has applied
     * at least about 5/16 of 5,000 less 500, 21%, and a 6-slot one at most 6/16 of 5,500, 41%.
     * Without the window shares went down to 11% on MongoRedis: three processes appending to one
     * output topic take turns badly there (the process that appended last knows the next id, the
     * others lose the race and read the head again), so one instance ran at a tenth of the others'
     * rate until they had run out of work.
     */
    static final double MIN_SHARE = 0.15;
    static final double MAX_SHARE = 0.50;

    static final Topic<Transaction> TRANSACTIONS = Topic.of("group-transactions", Transaction.class);
    static final Topic<BalanceChanged> EVENTS = Topic.of("group-balance-events", BalanceChanged.class);

    static final String STARTED = "STARTED ";
    static final String EMIT = "EMIT ";
    static final String STATS = "STATS ";
    static final String FAILED = "FAILED ";
    static final String STOP = "STOP";
    static final String SHUTDOWN_HOOK = "SHUTDOWN-HOOK";

    /**
     * An account with, next to it, how many transactions each processor instance applied to it:
     * written in the same update as the balance, so the counts are exact also for a killed instance.
     *
     * @param account   the account
     * @param appliedBy applications per instance id
     */
    public record Ledger(Account account, Map<String, Long> appliedBy) {
        static final Ledger EMPTY = new Ledger(Account.EMPTY, Map.of());

        /**
         * Copies the counts.
         *
         * @param account   the account
         * @param appliedBy applications per instance id
         */
        public Ledger {
            appliedBy = Map.copyOf(appliedBy);
        }
    }

    /**
     * A state URL reachable from another process on this machine, whose stores are empty.
     *
     * @return the state URL
     */
    protected abstract String stateUrl();

    /**
     * A topic backend URL reachable from another process on this machine, with consumer groups
     * ({@link ConsumerGroups}) and no topics yet. Its consumer leases should expire within seconds,
     * since the killed instance's slots move only then.
     *
     * @return the topic URL
     */
    protected abstract String topicUrl();

    private final List<Child> children = new ArrayList<>();
    /** What each instance had handled when the victim was killed, for the report. */
    private String beforeKillReport = "";
    /** The accounts the victim applied to before it died. */
    private Set<String> victimAccounts = Set.of();
    private long takeoverMillis;
    /** Outputs in the outbox right after the kill: the victim's cut-off appends, and others' under way. */
    private long pendingAfterKill;

    /** Set at the end of the test: the children's logs are deleted then, and kept (their paths logged) otherwise. */
    private boolean passed;
    /** The group's changes and the children's progress, logged at the end. */
    private GroupWatch watch;

    @AfterEach
    void killChildren() throws Exception {
        if (watch != null) {
            watch.close();
            LOG.info("Group changes: {}", watch.changes());
            LOG.info("Reported outputs every 2 s: {}", watch.progress());
        }
        for (Child child : children) {
            child.process.destroyForcibly();
            child.process.waitFor(30, TimeUnit.SECONDS);
            if (passed) {
                Files.deleteIfExists(child.log);
            } else {
                LOG.warn("The log of instance {} is kept: {}", child.id, child.log);
            }
        }
    }

    @Test
    @DisplayName("3 child JVMs as one group, one killed with SIGKILL half-way: each did a third,"
            + " balances equal the fold, each applied once")
    void groupOfProcessesSplitsTheWorkAndSurvivesAKill() throws Exception {
        long startedAt = System.nanoTime();
        String stateUrl = stateUrl();
        String topicUrl = topicUrl();
        for (String id : INSTANCES) {
            children.add(start(stateUrl, topicUrl, id));
        }
        for (Child child : children) {
            assertThat(child.started.await(2, TimeUnit.MINUTES)).as("instance " + child.id + " started; its log: "
                    + child.log()).isTrue();
            assertThat(child.consumerName.get()).as("instance " + child.id + " consumes as the processor's group, not"
                    + " under a name of its own").isEqualTo(PROCESSOR);
        }

        try (Streamable observer = Streamable.open(topicUrl);
             SharedState state = SharedState.open(stateUrl);
             AutoCloseable stopWatching = () -> {
                 if (watch != null) {
                     watch.close(); // before the observer it reads through closes
                 }
             }) {
            TopicStore transactions = observer.backend().topic(TRANSACTIONS.name());
            assertThat(transactions).as("the topic backend has consumer groups").isInstanceOf(ConsumerGroups.class);
            ConsumerGroups groups = (ConsumerGroups) transactions;
            // produce only once the group is balanced, so the shares measure the group, not who joined first
            GroupDescription balanced = awaitGroup(groups, INSTANCES.size());
            LOG.info("Group {} balanced over {} members: {}", PROCESSOR, balanced.members().size(),
                    describe(balanced));
            watch = new GroupWatch(groups, () -> children.stream()
                    .map(c -> c.id + "=" + c.emitted.size()).toList().toString());
            StateStore<Ledger> ledgers = state.store(STORE, Ledger.class);

            List<String> accounts = accountsSpreadOver(balanced.slotCount());
            Map<String, Integer> perAccount = new ConcurrentHashMap<>();
            Map<String, String> produced = new ConcurrentHashMap<>(); // transaction id -> account
            long produceStart = System.nanoTime();
            AtomicLong producedAtNanos = new AtomicLong();
            ExecutorService producers = Executors.newFixedThreadPool(PRODUCERS);
            List<Future<?>> producing = new ArrayList<>();
            try {
                for (int p = 0; p < PRODUCERS; p++) {
                    int number = p;
                    producing.add(producers.submit(() -> {
                        produce(topicUrl, number, accounts, perAccount, produced,
                                () -> produced.size() - totalEmitted() < WINDOW);
                        producedAtNanos.accumulateAndGet(System.nanoTime(), Math::max);
                        return null;
                    }));
                }

                // half-way: kill the victim with SIGKILL, under its running handlers
                Child victim = child(VICTIM);
                await("half of the transactions handled").atMost(Duration.ofMinutes(3))
                        .pollInterval(Duration.ofMillis(20))
                        .failFast("an instance died or failed", () -> children.stream()
                                .anyMatch(c -> !c.process.isAlive() || c.failure.get() != null))
                        .until(() -> totalEmitted() >= MESSAGES / 2);
                // what each instance applied up to now, from the state: exact, and not counting the
                // outputs an instance appends for another from the outbox (its EMIT lines do)
                Map<String, Long> reported = new LinkedHashMap<>();
                children.forEach(child -> reported.put(child.id, (long) child.emitted.size()));
                SortedLedgers atKill = new SortedLedgers(ledgers.entries("acct-"));
                // kill it right as it reports an output: it is busy then, between a state write and an append
                CountDownLatch busy = new CountDownLatch(1);
                victim.onEmit = busy;
                assertThat(busy.await(1, TimeUnit.MINUTES)).as("the victim handled another transaction").isTrue();
                long killNanos = System.nanoTime();
                victim.process.destroyForcibly();
                assertThat(victim.process.waitFor(30, TimeUnit.SECONDS)).as("the victim died").isTrue();
                victim.awaitEndOfOutput();
                if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                    // 128 + 9: the JVM was ended by SIGKILL, not by a shutdown (exit code 143 is SIGTERM)
                    assertThat(victim.process.exitValue()).as("the victim's exit code").isEqualTo(137);
                }
                assertThat(victim.shutdownHookRan).as("the victim ran no shutdown hook: it was killed, not stopped")
                        .isFalse();
                victimAccounts = new SortedLedgers(ledgers.entries("acct-")).accountsOf(VICTIM);
                pendingAfterKill = pending(ledgers).size();

                Map<String, Long> beforeKill = atKill.appliedBy();
                long totalBeforeKill = beforeKill.values().stream().mapToLong(Long::longValue).sum();
                Map<String, Set<Integer>> slotsBeforeKill = atKill.slotsBy(balanced.slotCount());
                beforeKillReport = "applied " + beforeKill + " of " + totalBeforeKill + " (reported outputs " + reported
                        + "), slots " + slotsBeforeKill + ", at " + millisSince(produceStart)
                        + " ms after the first append, production " + (producing.stream().allMatch(Future::isDone)
                        ? "done at " + TimeUnit.NANOSECONDS.toMillis(producedAtNanos.get() - produceStart) + " ms"
                        : "still running");
                LOG.info("Killed instance {} (pid {}, exit code {}); up to then {}", VICTIM, victim.process.pid(),
                        victim.process.exitValue(), beforeKillReport);
                LOG.info("Group changes up to the kill: {}", watch.changes());
                // one instance per key: up to the kill each account was applied to by one instance only
                assertThat(atKill.sharedAccounts()).as("accounts applied to by more than one instance before the kill"
                        + " (group changes: " + watch.changes() + ")").isEmpty();
                assertThat(beforeKill.keySet()).as("instances that applied something before the kill: " + beforeKill)
                        .containsExactlyInAnyOrderElementsOf(INSTANCES);
                // each instance applied only to the accounts of one member's slots: its share of the keys
                Set<String> members = new HashSet<>();
                for (String id : INSTANCES) {
                    Set<Integer> applied = slotsBeforeKill.get(id);
                    GroupDescription.Member member = balanced.members().stream()
                            .filter(m -> m.slots().containsAll(applied)).findFirst().orElse(null);
                    assertThat(member).as("the member whose slots hold every account instance " + id + " applied to"
                            + " (" + applied + "; group " + describe(balanced) + ")").isNotNull();
                    assertThat(members.add(member.memberId())).as("instance " + id + " is a member of its own")
                            .isTrue();
                    assertThat((double) member.slots().size() / balanced.slotCount())
                            .as("instance " + id + "'s share of the keys: member " + member.memberId() + "'s slots "
                                    + member.slots()).isBetween(MIN_SHARE, MAX_SHARE);
                }
                beforeKill.forEach((id, applied) -> assertThat((double) applied / totalBeforeKill)
                        .as("instance " + id + "'s share of the transactions applied up to the kill (" + applied
                                + " of " + totalBeforeKill + "; all: " + beforeKill + ")")
                        .isBetween(MIN_SHARE, MAX_SHARE));

                // its slots move to the two others once its lease expires
                GroupDescription afterKill = awaitGroup(groups, INSTANCES.size() - 1);
                takeoverMillis = millisSince(killNanos);
                LOG.info("Group {} rebalanced over the {} survivors {} ms after the kill: {}", PROCESSOR,
                        afterKill.members().size(), takeoverMillis,
                        describe(afterKill));

                for (Future<?> future : producing) {
                    future.get(3, TimeUnit.MINUTES);
                }
            } finally {
                producers.shutdownNow();
            }
            assertThat(produced).hasSize(MESSAGES);
            long produceMillis = TimeUnit.NANOSECONDS.toMillis(producedAtNanos.get() - produceStart);

            await("every transaction applied and no output pending").atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(250))
                    .failFast("a survivor died or failed", () -> survivors()
                            .anyMatch(c -> !c.process.isAlive() || c.failure.get() != null))
                    .until(() -> transactionsIn(ledgers) >= MESSAGES && pending(ledgers).isEmpty());
            long processedMillis = millisSince(produceStart);

            // the survivors stop cleanly and report their stats
            Map<String, ProcessorStats> stats = new TreeMap<>();
            for (Child child : survivors().toList()) {
                child.stop();
            }
            for (Child child : survivors().toList()) {
                assertThat(child.process.waitFor(1, TimeUnit.MINUTES)).as("instance " + child.id + " stopped").isTrue();
                child.awaitEndOfOutput();
                assertThat(child.process.exitValue()).as("instance " + child.id + "'s exit code; its log: "
                        + child.log()).isZero();
                assertThat(child.failure.get()).as("instance " + child.id + " failed").isNull();
                assertThat(child.stats.get()).as("instance " + child.id + " reported its stats").isNotNull();
                stats.put(child.id, child.stats.get());
            }

            // the state: the sequential fold, each transaction applied once, by whom
            Map<String, Account> fold = sequentialFold(topicUrl);
            SortedLedgers result = new SortedLedgers(ledgers.entries("acct-"));
            Map<String, Long> appliedBy = result.appliedBy();
            long appliedTotal = appliedBy.values().stream().mapToLong(Long::longValue).sum();
            assertThat(fold.values().stream().mapToLong(Account::transactions).sum()).isEqualTo(MESSAGES);
            fold.forEach((account, folded) -> assertThat(folded.transactions())
                    .as("transactions of " + account + " in the topic").isEqualTo(perAccount.get(account).longValue()));
            assertThat(result.accounts()).as("state equals the sequential fold").isEqualTo(fold);
            assertThat(result.ledgers().values()).as("each account's applications per instance add up to its"
                    + " transactions").allSatisfy(ledger -> assertThat(ledger.appliedBy().values().stream()
                    .mapToLong(Long::longValue).sum()).isEqualTo(ledger.account().transactions()));
            assertThat(appliedTotal).as("every transaction applied exactly once over all instances")
                    .isEqualTo(MESSAGES);
            // after the kill only the victim's accounts moved, each to one survivor
            Map<String, Set<String>> shared = result.sharedAccounts();
            assertThat(shared.keySet()).as("accounts applied to by two instances: the victim's only")
                    .isSubsetOf(victimAccounts);
            assertThat(shared.values()).as("a victim's account moved to one survivor").allSatisfy(ids ->
                    assertThat(ids).hasSize(2).contains(VICTIM));
            stats.forEach((id, s) -> assertThat(s.applied()).as("instance " + id + "'s applied counter equals its"
                    + " applications in the state").isEqualTo(appliedBy.getOrDefault(id, 0L)));
            long refused = stats.values().stream().mapToLong(ProcessorStats::alreadyApplied).sum();
            // in a group only the victim's handled-but-unsaved messages come again; without groups
            // every instance would read every message and be refused for two thirds of them
            assertThat(refused).as("deliveries refused as already applied (redeliveries after the kill)")
                    .isLessThan(MESSAGES / 10);

            // the output topic: an event for every transaction; copies only of re-appends, never of re-applies
            List<Message<BalanceChanged>> events = readAll(topicUrl, EVENTS);
            Map<String, Long> copies = new HashMap<>();
            Map<String, Set<String>> appliesPerTx = new HashMap<>();
            for (Message<BalanceChanged> event : events) {
                String tx = event.payload().txId();
                copies.merge(tx, 1L, Long::sum);
                appliesPerTx.computeIfAbsent(tx, t -> new HashSet<>()).add(
                        event.header(StateProcessor.SOURCE_HEADER).orElseThrow() + " v"
                                + event.header(StateProcessor.VERSION_HEADER).orElseThrow());
            }
            Set<String> lost = new HashSet<>(produced.keySet());
            lost.removeAll(copies.keySet());
            long reapplied = appliesPerTx.values().stream().filter(s -> s.size() > 1).count();
            long reappended = copies.values().stream().filter(n -> n > 1).count();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedAt);
            String report = String.format("Group proof on %d transactions, %d accounts, %d instances: handled up to"
                            + " the kill %s; applied in all %s (total %d); lost %d; duplicates applied %d (state)"
                            + " and %d (output versions); outputs pending right after the kill %d; output events %d for"
                            + " %d transactions (%d re-appended);"
                            + " survivors' stats %s; produced in %d ms, slots moved %d ms after the kill, all applied"
                            + " %d ms after the first append; %d s in all", MESSAGES, ACCOUNTS, INSTANCES.size(),
                    beforeKillReport, appliedBy, appliedTotal, lost.size(), appliedTotal - MESSAGES, reapplied,
                    pendingAfterKill, events.size(), copies.size(), reappended, stats, produceMillis, takeoverMillis,
                    processedMillis, seconds);
            LOG.info(report);
            System.out.println(report);
            assertThat(lost).as("transactions without an output event").isEmpty();
            assertThat(reapplied).as("transactions whose output copies carry different versions (applied twice)")
                    .isZero();
            assertThat(copies.keySet()).as("no event for a transaction that was not produced")
                    .isEqualTo(produced.keySet());
            // a copy where the victim's append was cut off after it was stored, where two survivors
            // delivered one of its pending outputs at once, or where a live instance's append took
            // longer than the outbox grace and another delivered it too: the documented duplicates
            assertThat(reappended).as("transactions with more than one event").isLessThanOrEqualTo(MESSAGES / 100);
            passed = true;
        }
    }

    private Child child(String id) {
        return children.stream().filter(c -> c.id.equals(id)).findFirst().orElseThrow();
    }

    private java.util.stream.Stream<Child> survivors() {
        return children.stream().filter(c -> !c.id.equals(VICTIM));
    }

    private long totalEmitted() {
        return children.stream().mapToLong(c -> c.emitted.size()).sum();
    }

    /** Waits until the group has exactly {@code members} live members that own every slot between them, evenly. */
    private GroupDescription awaitGroup(ConsumerGroups groups, int members) {
        AtomicReference<GroupDescription> last = new AtomicReference<>();
        await("group " + PROCESSOR + " balanced over " + members + " members").atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(100))
                .failFast("an instance failed", () -> children.stream().anyMatch(c -> c.failure.get() != null))
                .until(() -> {
                    Optional<GroupDescription> group = groups.describeGroup(PROCESSOR);
                    group.ifPresent(last::set);
                    if (group.isEmpty() || group.get().members().size() != members) {
                        return false;
                    }
                    GroupDescription g = group.get();
                    int fair = g.slotCount() / members;
                    return g.slots().stream().allMatch(s -> s.owner().isPresent())
                            && g.members().stream().allMatch(m -> m.slots().size() == fair
                            || m.slots().size() == fair + 1);
                });
        return last.get();
    }

    /**
     * {@value #ACCOUNTS} account names spread as evenly as they can be over the group's slots, so
     * an instance's share of the work is its share of the slots; plain {@code acct-0..99} would
     * give one slot 11 accounts and another 3.
     */
    static List<String> accountsSpreadOver(int slotCount) {
        List<String> accounts = new ArrayList<>();
        int[] perSlot = new int[slotCount];
        for (int cap = ACCOUNTS / slotCount; accounts.size() < ACCOUNTS; cap++) {
            for (int n = 0; accounts.size() < ACCOUNTS && n < 100 * ACCOUNTS; n++) {
                String account = "acct-" + n;
                int slot = Slots.slotOf(account, slotCount);
                if (!accounts.contains(account) && perSlot[slot] < cap) {
                    perSlot[slot]++;
                    accounts.add(account);
                }
            }
        }
        return accounts;
    }

    private static List<String> describe(GroupDescription group) {
        return group.members().stream().map(m -> m.memberId() + "=" + m.slots()).toList();
    }

    /**
     * Records every change of the group's members and slot owners, and every 2 s the children's
     * reported outputs, with the time since it started: evidence of when slots moved and who did
     * the work, for the log.
     */
    private static final class GroupWatch implements AutoCloseable {
        private final List<String> changes = Collections.synchronizedList(new ArrayList<>());
        private final List<String> progress = Collections.synchronizedList(new ArrayList<>());
        private final java.util.concurrent.ScheduledExecutorService sampler =
                Executors.newSingleThreadScheduledExecutor(runnable -> {
                    Thread thread = new Thread(runnable, "group-watch");
                    thread.setDaemon(true);
                    return thread;
                });
        private final long start = System.nanoTime();
        private String last = "";
        private long lastProgress = -2000;
        private volatile boolean closing;

        GroupWatch(ConsumerGroups groups, java.util.function.Supplier<String> outputs) {
            sampler.scheduleWithFixedDelay(() -> sample(groups, outputs), 0, 50, TimeUnit.MILLISECONDS);
        }

        private void sample(ConsumerGroups groups, java.util.function.Supplier<String> outputs) {
            long now = millisSince(start);
            if (now - lastProgress >= 2000) {
                lastProgress = now;
                progress.add("+" + now + " ms " + outputs.get());
            }
            String state;
            try {
                state = groups.describeGroup(PROCESSOR).map(g -> describe(g) + " free "
                        + g.slots().stream().filter(slot -> slot.owner().isEmpty())
                        .map(GroupDescription.SlotState::slot).toList()).orElse("(no group)");
            } catch (RuntimeException e) {
                if (closing) {
                    return; // interrupted by close
                }
                state = "describeGroup failed: " + e;
            }
            if (!state.equals(last)) {
                changes.add("+" + now + " ms " + state);
                last = state;
            }
        }

        /** The children's reported outputs, every 2 s. */
        List<String> progress() {
            synchronized (progress) {
                return new ArrayList<>(progress);
            }
        }

        List<String> changes() {
            synchronized (changes) {
                return new ArrayList<>(changes);
            }
        }

        @Override
        public void close() throws InterruptedException {
            closing = true;
            sampler.shutdownNow();
            sampler.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static long transactionsIn(StateStore<Ledger> ledgers) {
        return ledgers.entries("acct-").values().stream().mapToLong(l -> l.account().transactions()).sum();
    }

    private static List<PendingOutput> pending(StateStore<Ledger> ledgers) {
        List<PendingOutput> pending = new ArrayList<>();
        ledgers.forEachPending(pending::add);
        return pending;
    }

    /** The ledgers as the fold compares them, and the applications per instance over all accounts. */
    private record SortedLedgers(Map<String, Ledger> ledgers) {
        Map<String, Account> accounts() {
            Map<String, Account> accounts = new HashMap<>();
            ledgers.forEach((key, ledger) -> accounts.put(key, ledger.account()));
            return accounts;
        }

        Map<String, Long> appliedBy() {
            Map<String, Long> total = new TreeMap<>();
            ledgers.values().forEach(ledger -> ledger.appliedBy().forEach((id, n) -> total.merge(id, n, Long::sum)));
            return total;
        }

        /** The slots of the accounts each instance applied to. */
        Map<String, Set<Integer>> slotsBy(int slotCount) {
            Map<String, Set<Integer>> slots = new TreeMap<>();
            ledgers.forEach((account, ledger) -> ledger.appliedBy().keySet().forEach(id ->
                    slots.computeIfAbsent(id, i -> new TreeSet<>()).add(Slots.slotOf(account, slotCount))));
            return slots;
        }

        /** The accounts more than one instance applied to, with those instances. */
        Map<String, Set<String>> sharedAccounts() {
            Map<String, Set<String>> shared = new TreeMap<>();
            ledgers.forEach((account, ledger) -> {
                if (ledger.appliedBy().size() > 1) {
                    shared.put(account, new TreeSet<>(ledger.appliedBy().keySet()));
                }
            });
            return shared;
        }

        Set<String> accountsOf(String id) {
            Set<String> accounts = new TreeSet<>();
            ledgers.forEach((account, ledger) -> {
                if (ledger.appliedBy().containsKey(id)) {
                    accounts.add(account);
                }
            });
            return accounts;
        }
    }

    /** One producer's share of the transactions, in batches, on a connection of its own. */
    private static Void produce(String topicUrl, int number, List<String> accounts, Map<String, Integer> perAccount,
                                Map<String, String> produced, java.util.concurrent.Callable<Boolean> room)
            throws Exception {
        Random random = new Random(2000 + number);
        try (Streamable streamable = Streamable.open(topicUrl);
             Producer<Transaction> producer = streamable.producer(TRANSACTIONS)) {
            List<OutgoingMessage<Transaction>> batch = new ArrayList<>();
            for (int i = 0; i < MESSAGES / PRODUCERS; i++) {
                String account = accounts.get(random.nextInt(accounts.size()));
                boolean deposit = random.nextInt(100) < 55;
                Transaction tx = new Transaction("p" + number + "-" + i, account,
                        deposit ? Kind.DEPOSIT : Kind.WITHDRAWAL,
                        deposit ? 1 + random.nextInt(500) : 1 + random.nextInt(800));
                produced.put(tx.id(), account);
                perAccount.merge(account, 1, Integer::sum);
                batch.add(OutgoingMessage.of(account, tx));
                if (batch.size() == 50) {
                    await("room in the window of unhandled transactions").atMost(Duration.ofMinutes(2))
                            .pollInterval(Duration.ofMillis(10)).until(room);
                    producer.appendAllAndWait(batch);
                    batch.clear();
                }
            }
            producer.appendAllAndWait(batch);
        }
        return null;
    }

    /** Folds the topic one message after another, as a single-threaded processor would. */
    private static Map<String, Account> sequentialFold(String topicUrl) throws Exception {
        Map<String, Account> fold = new HashMap<>();
        for (Message<Transaction> message : readAll(topicUrl, TRANSACTIONS)) {
            Transaction tx = message.payload();
            fold.put(tx.account(), fold.getOrDefault(tx.account(), Account.EMPTY).apply(tx));
        }
        return fold;
    }

    /** Every message of a topic, in delivery order, read by an anonymous consumer from the beginning. */
    private static <T> List<Message<T>> readAll(String topicUrl, Topic<T> topic) throws Exception {
        List<Message<T>> read = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(topicUrl);
             Consumer<T> reader = streamable.consumer(topic).startFrom(StartFrom.beginning())
                     .handler(read::add)
                     .onCaughtUp(caughtUp::countDown)
                     .start()) {
            assertThat(caughtUp.await(2, TimeUnit.MINUTES)).as("read " + topic.name() + " to its end").isTrue();
            assertThat(reader.isRunning()).isTrue();
        }
        synchronized (read) {
            return new ArrayList<>(read);
        }
    }

    private Child start(String stateUrl, String topicUrl, String id) throws IOException {
        Path log = Files.createTempFile("streamable-group-child-" + id + "-", ".log");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), ChildMain.class.getName(), stateUrl, topicUrl, id)
                .redirectError(log.toFile());
        return new Child(id, builder.start(), log);
    }

    /** A running child JVM and what it reported. */
    private static final class Child {
        final String id;
        final Process process;
        final Path log;
        /** The transaction of every output it was about to append, in order. */
        final List<String> emitted = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch endOfOutput = new CountDownLatch(1);
        final AtomicReference<String> consumerName = new AtomicReference<>();
        final AtomicReference<ProcessorStats> stats = new AtomicReference<>();
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile boolean shutdownHookRan;
        /** Counted down at its next reported output, when set. */
        volatile CountDownLatch onEmit;

        Child(String id, Process process, Path log) {
            this.id = id;
            this.process = process;
            this.log = log;
            Thread reader = new Thread(this::readOutput, "group-child-" + id + "-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        private void readOutput() {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith(EMIT)) {
                        emitted.add(line.substring(EMIT.length()));
                        CountDownLatch waiting = onEmit;
                        if (waiting != null) {
                            waiting.countDown();
                        }
                    } else if (line.startsWith(STARTED)) {
                        consumerName.set(line.substring(STARTED.length()));
                        started.countDown();
                    } else if (line.startsWith(STATS)) {
                        long[] n = java.util.Arrays.stream(line.substring(STATS.length()).split(" "))
                                .mapToLong(Long::parseLong).toArray();
                        stats.set(new ProcessorStats(n[0], n[1], n[2], n[3], n[4], n[5], n[6]));
                    } else if (line.startsWith(FAILED)) {
                        failure.set(line.substring(FAILED.length()));
                    } else if (line.equals(SHUTDOWN_HOOK)) {
                        shutdownHookRan = true;
                    }
                }
            } catch (IOException e) {
                // the process was killed
            } finally {
                endOfOutput.countDown();
            }
        }

        void awaitEndOfOutput() throws InterruptedException {
            assertThat(endOfOutput.await(30, TimeUnit.SECONDS)).as("instance " + id + "'s output ended").isTrue();
        }

        void stop() throws IOException {
            Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            in.write(STOP + "\n");
            in.flush();
        }

        String log() {
            return ProcessCrashProof.lastLines(log);
        }
    }

    /**
     * The child process: one instance of the processor, named {@value #PROCESSOR} like the others,
     * with its own instance id. Prints {@value #STARTED} and its consumer name once running, a
     * {@value #EMIT} line per output it is about to append (after the state write), and on
     * {@value #STOP} (or the end of standard input) closes the processor and prints its stats.
     */
    public static final class ChildMain {
        private ChildMain() {
        }

        /**
         * Runs the child.
         *
         * @param args the state URL, the topic URL and the instance id
         * @throws Exception when the child fails; the parent sees a non-zero exit
         */
        public static void main(String[] args) throws Exception {
            String stateUrl = args[0];
            String topicUrl = args[1];
            String id = args[2];
            // runs on a normal exit or SIGTERM, never on SIGKILL: the parent checks the victim did not print it
            Runtime.getRuntime().addShutdownHook(new Thread(() -> report(SHUTDOWN_HOOK)));
            try (Streamable streamable = Streamable.open(topicUrl);
                 SharedState state = SharedState.open(stateUrl)) {
                Streamable reporting = new InterceptingStreamable(streamable, (topic, messages) -> {
                    for (OutgoingMessage<?> message : messages) {
                        if (message.payload() instanceof BalanceChanged event) {
                            report(EMIT + event.txId());
                        }
                    }
                });
                StateProcessor processor = StateProcessor.builder(reporting, state.store(STORE, Ledger.class), EVENTS)
                        .name(PROCESSOR)
                        .instanceId(id)
                        .concurrency(CONCURRENCY)
                        .outboxGrace(OUTBOX_GRACE)
                        .input(TRANSACTIONS, message -> message.payload().account(),
                                (current, message) -> transition(id, current, message))
                        .start();
                processor.stopped().whenComplete((done, failure) -> {
                    if (failure != null) {
                        report(FAILED + failure);
                    }
                });
                report(STARTED + processor.consumerName());
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null && !line.equals(STOP); line = in.readLine()) {
                    // only STOP means anything
                }
                processor.close();
                ProcessorStats s = processor.stats();
                report(STATS + s.handled() + " " + s.applied() + " " + s.alreadyApplied() + " " + s.emitted() + " "
                        + s.emitFailures() + " " + s.otherShards() + " " + s.redelivered());
            }
        }

        /** The bank transition, counting the application for this instance in the same state write. */
        static Step<Ledger, BalanceChanged> transition(String id, Optional<Ledger> current,
                                                       Message<Transaction> message) {
            Ledger before = current.orElse(Ledger.EMPTY);
            Step<Account, BalanceChanged> step = BankAccountsProof.transition(Optional.of(before.account()), message);
            Map<String, Long> appliedBy = new TreeMap<>(before.appliedBy());
            appliedBy.merge(id, 1L, Long::sum);
            return new Step<>(Optional.of(new Ledger(step.state().orElseThrow(), appliedBy)), step.emit());
        }

        private static void report(String line) {
            synchronized (System.out) {
                System.out.println(line);
                System.out.flush();
            }
        }
    }
}
