package io.streamable.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One scenario on one backend: producer and consumer processes on one topic, the faults the test
 * applies, and the oracle's verdict at the end. Every process it starts is killed by
 * {@link #close()}, also when the scenario fails.
 */
final class Scenario implements AutoCloseable {
    static final String CONSUMER_NAME = "reader";
    static final int KEYS_PER_PRODUCER = 4;
    static final int COMMIT_EVERY = 25;
    static final Duration COMMIT_INTERVAL = Duration.ofMillis(250);
    static final int BATCH_SIZE = 50;
    /** How long a child may take to be up: a JVM start, plus waiting out a dead holder's lease or session. */
    static final Duration START_PATIENCE = Duration.ofSeconds(90);
    /** How long the system may take to make progress again after a fault. */
    static final Duration PROGRESS_PATIENCE = Duration.ofSeconds(120);
    /** The least traffic a scenario must have acknowledged for its verdict to mean anything. */
    private static final int MIN_ACKED = 200;
    private static final Duration QUIET = Duration.ofSeconds(15);
    private static final Duration STOP_PATIENCE = Duration.ofMinutes(3);

    private final String backend;
    private final String name;
    private final Path directory;
    private final String url;
    private final String topic;
    private final Settings settings;
    private final Random random;
    private final long startedNanos = System.nanoTime();

    private final List<Child> children = new ArrayList<>();
    private final List<EntryLog> ackLogs = new ArrayList<>();
    private final List<EntryLog> deliveryLogs = new ArrayList<>();
    private final List<ProducerSlot> producers = new ArrayList<>();
    private final List<ConsumerSlot> consumers = new ArrayList<>();
    private int consumerIncarnations;
    private int disruptions;
    private int unexpectedConsumerExits;
    private int keysPerProducer = KEYS_PER_PRODUCER;

    Scenario(String backend, String name, Path root, String url, String topic, Settings settings, Random random) {
        this.backend = backend;
        this.name = name;
        this.directory = root.resolve(backend).resolve(name);
        this.url = url;
        this.topic = topic;
        this.settings = settings;
        this.random = random;
        deleteRecursively(directory);
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A producer process and its restarts; each incarnation has an ack log of its own. */
    final class ProducerSlot {
        private final String id;
        private int incarnation;
        private Child child;

        private ProducerSlot(String id) {
            this.id = id;
        }

        private void launch() {
            incarnation++;
            Path acks = directory.resolve("acks-" + id + "-" + incarnation + ".log");
            ackLogs.add(new EntryLog(acks));
            child = track(Child.java("producer-" + id + "#" + incarnation, directory.resolve("producer-" + id + "-" + incarnation + ".log"),
                    "192m", ProducerMain.class, List.of(url, topic, id, Integer.toString(incarnation),
                            Integer.toString(keysPerProducer), Integer.toString(settings.rate()), acks.toString())));
        }

        /** Waits until this incarnation has had an append acknowledged. */
        void awaitAcked() {
            child.awaitLine("acked", START_PATIENCE);
        }

        /** {@code kill -9}, then the next incarnation. */
        void killAndRestart() {
            child.kill9();
            launch();
        }
    }

    /** One consumer process under the scenario's consumer name. */
    final class ConsumerSlot {
        private final Child child;
        private final EntryLog deliveries;
        private final String member;
        private final Path handlingLog;
        private boolean expectedToEnd;
        /** Wall clock (epoch microseconds) when this process was frozen; handling that ends later is a paused process's. */
        private long pausedAtMicros = Long.MAX_VALUE;

        private ConsumerSlot(Child child, EntryLog deliveries, String member, Path handlingLog) {
            this.child = child;
            this.deliveries = deliveries;
            this.member = member;
            this.handlingLog = handlingLog;
        }

        /** Which group member this process is an incarnation of, or null outside the group scenario. */
        String member() {
            return member;
        }

        /** The keys of this process's last {@code count} deliveries: the keys it owns now. */
        java.util.Set<String> recentKeys(int count) {
            List<Entry> all = deliveries.entries();
            java.util.Set<String> keys = new java.util.HashSet<>();
            all.subList(Math.max(0, all.size() - count), all.size()).forEach(entry -> keys.add(entry.key()));
            return keys;
        }

        /** How many deliveries of these keys this process has made so far. */
        long deliveriesOf(java.util.Set<String> keys) {
            return deliveries.entries().stream().filter(entry -> keys.contains(entry.key())).count();
        }

        /** {@code kill -STOP}, noting when: its handling from then on is a paused process's. */
        void freeze() {
            expectedToEnd = true;
            pausedAtMicros = nowMicros();
            child.pause();
        }

        /** Whether it printed that it stopped because it was fenced ({@code ConsumerFencedException}). */
        boolean stoppedFenced() {
            return child.lines().stream().anyMatch(line -> line.startsWith("stopped") && line.contains("ConsumerFencedException"));
        }

        Child child() {
            return child;
        }

        /** Waits until {@code start()} returned in the process: the name is its. */
        void awaitStarted() {
            child.awaitLine("started", START_PATIENCE);
        }

        /** Waits until this process delivered at least one message. */
        void awaitDelivering() {
            await(child.name() + " to deliver a message (log " + directory + ")").atMost(PROGRESS_PATIENCE)
                    .pollInterval(Duration.ofMillis(50))
                    .failFast(child.name() + " exited", () -> !child.isAlive())
                    .until(() -> deliveries.size() > 0);
        }

        /** {@code kill -9}. */
        void kill() {
            expectedToEnd = true;
            disruptions++;
            child.kill9();
        }

        /** Marks that this process may end on its own (a paused holder that lost its name). */
        void mayEnd() {
            expectedToEnd = true;
        }

        /** Whether the process ends on its own within {@code timeout}; it keeps running otherwise. */
        boolean endsWithin(Duration timeout) {
            try {
                await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> !child.isAlive());
                return true;
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                return false;
            }
        }
    }

    private Child track(Child child) {
        children.add(child);
        return child;
    }

    ProducerSlot startProducer(String id) {
        ProducerSlot slot = new ProducerSlot(id);
        slot.launch();
        producers.add(slot);
        return slot;
    }

    /** Starts the producers every scenario runs: two processes, four sharding keys each. */
    List<ProducerSlot> startProducers() {
        List<ProducerSlot> started = List.of(startProducer("p1"), startProducer("p2"));
        started.forEach(ProducerSlot::awaitAcked);
        return started;
    }

    /** Starts a consumer process under the scenario's name; it may wait for the name before printing {@code started}. */
    ConsumerSlot startConsumer(int concurrency) {
        return startConsumer(null, concurrency);
    }

    /**
     * Starts an incarnation of a group member: a consumer process under the scenario's name (the
     * same name for every member: a named consumer is a group) that also logs when it handled what.
     */
    ConsumerSlot startMember(String member, int concurrency) {
        return startConsumer(member, concurrency);
    }

    private ConsumerSlot startConsumer(String member, int concurrency) {
        consumerIncarnations++;
        Path log = directory.resolve("deliveries-" + consumerIncarnations + ".log");
        Path handling = member == null ? null : directory.resolve("handling-" + consumerIncarnations + ".log");
        EntryLog deliveries = new EntryLog(log);
        deliveryLogs.add(deliveries);
        List<String> arguments = new ArrayList<>(List.of(url, topic, CONSUMER_NAME, Integer.toString(concurrency),
                Integer.toString(COMMIT_EVERY), Long.toString(COMMIT_INTERVAL.toMillis()),
                Integer.toString(BATCH_SIZE), log.toString()));
        if (handling != null) {
            arguments.add(handling.toString());
        }
        String label = "consumer#" + consumerIncarnations + (member == null ? "" : "-" + member);
        Child child = track(Child.java(label, directory.resolve("consumer-" + consumerIncarnations + ".log"), "192m",
                ConsumerMain.class, arguments));
        ConsumerSlot slot = new ConsumerSlot(child, deliveries, member, handling);
        consumers.add(slot);
        return slot;
    }

    /** Sets how many sharding keys each producer writes; before the producers start. */
    void keysPerProducer(int keys) {
        keysPerProducer = keys;
    }

    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** Counts a disruption that may make a consumer deliver again what it had not saved yet. */
    void disrupted() {
        disruptions++;
    }

    /** A bounded random pause before a fault, so it lands anywhere in the stream: fault timing, not synchronisation. */
    void faultPause() {
        pause(Duration.ofMillis(100 + random.nextInt(900)));
    }

    static void pause(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        for (long left = duration.toNanos(); left > 0; left = until - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    /**
     * Waits until the producers got more appends acknowledged and the consumers delivered more,
     * restarting a consumer that ended on its own (the way a supervisor would).
     */
    void awaitProgress() {
        int acked = count(ackLogs);
        int delivered = count(deliveryLogs);
        await("progress after a fault in " + name + " (logs in " + directory + ")").atMost(PROGRESS_PATIENCE)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    superviseConsumers();
                    return count(ackLogs) >= acked + 20 && count(deliveryLogs) >= delivered + 20;
                });
    }

    private void superviseConsumers() {
        boolean anyAlive = consumers.stream().anyMatch(slot -> slot.child.isAlive());
        for (ConsumerSlot slot : List.copyOf(consumers)) {
            if (!slot.child.isAlive() && !slot.expectedToEnd) {
                slot.expectedToEnd = true;
                unexpectedConsumerExits++;
                disruptions++;
                System.out.println("FAULTS note: " + slot.child.name() + " in " + backend + "/" + name + " ended on its own"
                        + " with " + slot.child.lines() + "; restarting it. Its log:\n" + slot.child.tail());
                if (slot.member != null) {
                    // a group keeps its members: the supervisor restarts this one under its member label
                    startMember(slot.member, 1);
                } else if (!anyAlive) {
                    startConsumer(1);
                    anyAlive = true;
                }
            }
        }
    }

    private static int count(List<EntryLog> logs) {
        int total = 0;
        for (EntryLog log : List.copyOf(logs)) {
            total += log.size();
        }
        return total;
    }

    /**
     * Stops the producers cleanly, lets the consumers drain, stops them, prints the scenario's
     * {@code FAULTS} line and asserts the oracle: nothing acknowledged lost, nothing reordered, no
     * position acknowledged twice, duplicates within what unsaved progress explains.
     *
     * @param faults how many faults the scenario applied, for the report
     * @param extra  more {@code name=value} fields for the report line
     */
    Verdict finish(int faults, String extra) {
        return finish(faults, extra, false);
    }

    /**
     * {@link #finish(int, String)} for the group scenario, which also asserts that no sharding key
     * was handled by two processes at overlapping times (a paused process's handling from its
     * SIGSTOP on excepted: nothing can stop a frozen handler, which is why fencing exists) and that
     * every member handled a share of the work, and reports the split as {@code members=}.
     */
    Verdict finishGroup(int faults, String extra) {
        return finish(faults, extra, true);
    }

    private Verdict finish(int faults, String extra, boolean group) {
        // a short scenario whose server was down much of the time may not have produced enough yet
        // for the verdict to mean anything: keep producing until it has
        await("at least " + MIN_ACKED + " acknowledged appends in " + name + " (logs in " + directory + ")")
                .atMost(PROGRESS_PATIENCE).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    superviseConsumers();
                    return count(ackLogs) >= MIN_ACKED;
                });
        for (ProducerSlot producer : producers) {
            int exit = producer.child.stop(STOP_PATIENCE);
            assertThat(exit).as("exit code of %s (log %s)", producer.child, directory).isZero();
        }
        long[] lastCount = {-1};
        long[] lastChange = {System.nanoTime()};
        await("the consumers to deliver every acknowledged message (logs in " + directory + ")")
                .atMost(settings.drain()).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    superviseConsumers();
                    int delivered = count(deliveryLogs);
                    if (delivered != lastCount[0]) {
                        lastCount[0] = delivered;
                        lastChange[0] = System.nanoTime();
                    }
                    // a message that is really lost never arrives: stop waiting once nothing moves
                    return verdict().lost() == 0 || System.nanoTime() - lastChange[0] > QUIET.toNanos();
                });
        for (ConsumerSlot consumer : consumers) {
            if (consumer.child.isAlive()) {
                consumer.child.stop(STOP_PATIENCE);
            }
        }
        Verdict verdict = verdict();
        String groupFields = "";
        Oracle.Overlaps overlaps = new Oracle.Overlaps(0, List.of());
        Map<String, Integer> split = new TreeMap<>();
        if (group) {
            List<List<Handling>> handlings = new ArrayList<>();
            long excused = 0;
            for (ConsumerSlot consumer : consumers) {
                List<Handling> all = readHandlings(consumer.handlingLog);
                List<Handling> judged = all.stream().filter(h -> h.endMicros() <= consumer.pausedAtMicros).toList();
                excused += all.size() - judged.size();
                handlings.add(judged);
                split.merge(consumer.member, consumer.deliveries.size(), Integer::sum);
            }
            overlaps = Oracle.overlaps(handlings);
            int total = split.values().stream().mapToInt(Integer::intValue).sum();
            groupFields = " overlaps=" + overlaps.count() + " pausedHandlings=" + excused + " members="
                    + split.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue() + "(" + (100 * e.getValue() / Math.max(1, total)) + "%)")
                    .collect(java.util.stream.Collectors.joining("/"));
        }
        long bound = (long) Math.max(1, disruptions) * BATCH_SIZE;
        long seconds = Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds();
        System.out.println("FAULTS backend=" + backend + " scenario=" + name + " acked=" + verdict.acked()
                + " delivered=" + verdict.delivered() + " lost=" + verdict.lost() + " duplicates=" + verdict.duplicates()
                + " reorders=" + verdict.reorders() + " reusedPositions=" + verdict.reused() + groupFields + " faults=" + faults + " consumerExits=" + unexpectedConsumerExits
                + (extra.isEmpty() ? "" : " " + extra) + " seconds=" + seconds);
        if (verdict.lost() > 0 || verdict.reorders() > 0 || verdict.reused() > 0) {
            System.out.println("FAULTS detail backend=" + backend + " scenario=" + name + " lost e.g. "
                    + verdict.lostSamples() + " reordered e.g. " + verdict.reorderSamples() + " positions reused e.g. "
                    + verdict.reusedSamples() + " (logs in " + directory + ")");
        }
        assertThat(verdict.acked()).as("acknowledged appends in %s", name).isGreaterThanOrEqualTo(MIN_ACKED);
        assertThat(verdict.lost()).as("acknowledged messages lost in %s, e.g. %s (logs in %s)", name,
                verdict.lostSamples(), directory).isZero();
        assertThat(verdict.reorders()).as("reorders within a sharding key in %s, e.g. %s (logs in %s)", name,
                verdict.reorderSamples(), directory).isZero();
        assertThat(verdict.reused()).as("positions acknowledged to two messages in %s, e.g. %s (logs in %s)", name,
                verdict.reusedSamples(), directory).isZero();
        assertThat(verdict.duplicates()).as("duplicates in %s: at most a batch (%d) per disruption (%d)", name,
                BATCH_SIZE, disruptions).isLessThanOrEqualTo(bound);
        if (group) {
            assertThat(overlaps.count()).as("a sharding key handled by two processes at once in %s, e.g. %s (logs in %s)",
                    name, overlaps.samples(), directory).isZero();
            int total = split.values().stream().mapToInt(Integer::intValue).sum();
            // a member killed repeatedly is down part of the time, so "a third" is checked loosely
            split.forEach((member, handled) -> assertThat(handled)
                    .as("deliveries by member %s of %s in %s: each member handles a share (logs in %s)", member, split, name, directory)
                    .isGreaterThanOrEqualTo(total / 10));
        }
        return verdict;
    }

    private static List<Handling> readHandlings(Path file) {
        try {
            if (file == null || !Files.exists(file)) {
                return List.of();
            }
            String text = Files.readString(file);
            // a process killed in the middle of a write leaves a partial last line: it does not count
            String complete = text.substring(0, text.lastIndexOf('\n') + 1);
            return complete.lines().map(Handling::parse).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + file, e);
        }
    }

    private Verdict verdict() {
        List<Entry> acked = new ArrayList<>();
        List.copyOf(ackLogs).forEach(log -> acked.addAll(log.entries()));
        List<List<Entry>> deliveries = new ArrayList<>();
        List.copyOf(deliveryLogs).forEach(log -> deliveries.add(log.entries()));
        return Oracle.judge(acked, deliveries);
    }

    @Override
    public void close() {
        for (Child child : children) {
            child.close();
        }
    }

    static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + directory, e);
        }
    }
}
