package io.streamable.tck.state;

import io.streamable.Message;
import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.state.PendingOutput;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import io.streamable.state.processor.StateProcessor;
import io.streamable.state.processor.Step;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The crash proof with a real process: a state processor runs in a child JVM, which is killed
 * ({@link Process#destroyForcibly()}, SIGKILL) after the state write of one message and before
 * its output is appended, then started again. The output of that message must be appended after
 * the restart, from the outbox, and every input position must have exactly one output once the
 * outputs are deduplicated by {@link StateProcessor#SOURCE_HEADER}.
 *
 * <p>The state store is the backend under test, shared across processes ({@link #stateUrl()}).
 * The topics are those of {@link #sharedTopicUrl()} if it names one (the first run appends the
 * inputs, the restart resumes after the consumer's saved position, the test reads the output topic
 * at the end), else the in-memory backend's, private to the child: then each run of the child
 * appends the same inputs in the same order (so they get the same positions) and prints every
 * output it reads back from its output topic, and the test collects the outputs of both runs from
 * the child's standard output. Before dying, the first run waits until everything appended so far
 * has been printed, so the printed outputs are exactly the appended ones.
 */
public abstract class ProcessCrashProof {
    static final Topic<Long> DEPOSITS = Topic.of("deposits", Long.class);
    static final Topic<String> BALANCES = Topic.of("balances", String.class);
    static final int MESSAGES = 40;
    static final int CRASH_AT = 23;
    static final String STORE = "crash-balances";
    static final String CRASH_POINT = "CRASH-POINT";
    static final String DONE = "DONE";
    static final String OUTPUT = "OUT ";
    static final String INPUT = "IN ";

    private final List<Process> started = new ArrayList<>();

    /**
     * A state URL reachable from another process on this machine, whose store is empty.
     *
     * @return the state URL
     */
    protected abstract String stateUrl();

    /**
     * A topic backend URL reachable from another process, with no topics yet; empty (the default)
     * for topics in the child's memory.
     *
     * @return the topic URL, or empty for topics in the child's memory
     */
    protected java.util.Optional<String> sharedTopicUrl() {
        return java.util.Optional.empty();
    }

    @AfterEach
    void killChildren() throws InterruptedException {
        for (Process process : started) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @DisplayName("a process killed between the state write and the append emits the output after restart, once per source after dedup")
    void killedBetweenWriteAndAppend() throws Exception {
        String stateUrl = stateUrl();
        java.util.Optional<String> shared = sharedTopicUrl();
        String topicUrl = shared.orElse("memory:");

        Child first = start(stateUrl, topicUrl, true, CRASH_AT);
        assertThat(first.crashPoint.await(2, TimeUnit.MINUTES)).as("the child reached the crash point; its log: "
                + first.log()).isTrue();
        try (SharedState state = SharedState.open(stateUrl)) {
            StateStore<Long> balances = state.store(STORE, Long.class);
            String key = keyOf(CRASH_AT);
            assertThat(first.inputs).as("the inputs' sources").hasSize(MESSAGES);
            String crashSource = first.inputs.get(CRASH_AT);
            assertThat(balances.appliedPosition(key, DEPOSITS.name()).map(p -> DEPOSITS.name() + "@" + p.encode()))
                    .as("the state write of the message is done").contains(crashSource);
            List<PendingOutput> pending = new ArrayList<>();
            balances.forEachPending(pending::add);
            assertThat(pending).as("its output is pending, not appended").singleElement()
                    .satisfies(p -> assertThat(p.source().toString()).isEqualTo(crashSource));
        }
        first.process.destroyForcibly();
        assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.process.exitValue()).as("killed, not exited").isNotZero();
        List<String> beforeKill = first.outputs();
        assertThat(beforeKill).as("outputs appended before the kill").hasSize(CRASH_AT);

        Child second = start(stateUrl, topicUrl, shared.isEmpty(), -1);
        assertThat(second.process.waitFor(2, TimeUnit.MINUTES)).as("the restarted child finished; its log: "
                + second.log()).isTrue();
        assertThat(second.process.exitValue()).as("the restarted child's exit code; its log: " + second.log()).isZero();
        assertThat(second.done).as("the restarted child caught up").isTrue();
        List<String> afterRestart = second.outputs();

        List<String> all = new ArrayList<>(beforeKill);
        if (shared.isPresent()) {
            all = readOutputs(shared.get()); // both runs' outputs are in the output topic
        } else {
            all.addAll(afterRestart);
        }
        Map<String, Long> perSource = all.stream().collect(Collectors.groupingBy(line -> line.split(" ")[0],
                TreeMap::new, Collectors.counting()));
        if (shared.isEmpty()) {
            assertThat(second.inputs).as("the restart re-created the same input positions").isEqualTo(first.inputs);
        }
        assertThat(perSource.keySet()).as("one output per input position after dedup by the source header")
                .containsExactlyInAnyOrderElementsOf(first.inputs);
        assertThat(afterRestart).as("the cut-off output was appended after the restart")
                .anyMatch(line -> line.startsWith(first.inputs.get(CRASH_AT) + " "));
        assertThat(perSource.values()).as("no output twice").allMatch(n -> n == 1);

        try (SharedState state = SharedState.open(stateUrl)) {
            StateStore<Long> balances = state.store(STORE, Long.class);
            for (int k = 0; k < 3; k++) {
                String key = "acct-" + k;
                long expected = LongStream.range(0, MESSAGES).filter(i -> keyOf(i).equals(key)).map(i -> i + 1).sum();
                assertThat(balances.get(key)).as("balance of " + key + ": each deposit applied once").contains(expected);
            }
            List<PendingOutput> pending = new ArrayList<>();
            balances.forEachPending(pending::add);
            assertThat(pending).as("nothing left in the outbox").isEmpty();
        }
    }

    static String keyOf(long offset) {
        return "acct-" + (offset % 3);
    }

    /** A running child JVM and what it printed. */
    private static final class Child {
        final Process process;
        final Path log;
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final List<String> inputs = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch crashPoint = new CountDownLatch(1);
        volatile boolean done;

        Child(Process process, Path log) {
            this.process = process;
            this.log = log;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        if (line.equals(CRASH_POINT)) {
                            crashPoint.countDown();
                        } else if (line.equals(DONE)) {
                            done = true;
                        } else if (line.startsWith(INPUT)) {
                            inputs.add(line.substring(INPUT.length()));
                        } else if (line.startsWith(OUTPUT)) {
                            lines.add(line.substring(OUTPUT.length()));
                        }
                    }
                } catch (IOException e) {
                    // the process was killed
                }
            }, "crash-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        List<String> outputs() throws InterruptedException {
            // the reader thread ends with the process's output stream
            process.waitFor(30, TimeUnit.SECONDS);
            synchronized (lines) {
                return new ArrayList<>(lines);
            }
        }

        String log() {
            return lastLines(log);
        }
    }

    /** The last 40 lines of a child's log, for a failure message; the proofs of this package share it. */
    static String lastLines(Path log) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Every output in the shared output topic, as the child prints them. */
    private static List<String> readOutputs(String topicUrl) throws InterruptedException {
        List<String> read = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Streamable streamable = Streamable.open(topicUrl);
             Consumer<String> consumer = streamable.consumer(BALANCES).startFrom(StartFrom.beginning())
                     .handler(message -> read.add(ChildMain.describe(message)))
                     .onCaughtUp(caughtUp::countDown).start()) {
            assertThat(caughtUp.await(1, TimeUnit.MINUTES)).as("read the output topic to its end").isTrue();
            assertThat(consumer.isRunning()).isTrue();
        }
        synchronized (read) {
            return new ArrayList<>(read);
        }
    }

    private Child start(String stateUrl, String topicUrl, boolean produce, int crashAt) throws IOException {
        Path log = Files.createTempFile("streamable-crash-child-", ".log");
        log.toFile().deleteOnExit();
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ChildMain.class.getName(), stateUrl, Integer.toString(crashAt), topicUrl, Boolean.toString(produce))
                .redirectError(log.toFile());
        Process process = builder.start();
        started.add(process);
        return new Child(process, log);
    }

    /**
     * The child process: appends the inputs to its private in-memory topic, runs one processor
     * instance with a stable id on the given state store, and prints each output it reads back. With a
     * crash offset it stops for good just before appending that message's output, after printing
     * {@value #CRASH_POINT}; without one it prints {@value #DONE} and exits once everything is
     * handled and printed.
     */
    public static final class ChildMain {
        private ChildMain() {
        }

        /**
         * Runs the child.
         *
         * @param args the state URL, the input offset to stop at (-1 for none), the topic URL and
         *             whether to append the inputs
         *
         * @throws Exception when the child fails; the parent sees a non-zero exit
         */
        public static void main(String[] args) throws Exception {
            String stateUrl = args[0];
            long crashAt = Long.parseLong(args[1]);
            String topicUrl = args[2];
            boolean produce = Boolean.parseBoolean(args[3]);
            try (Streamable streamable = Streamable.open(topicUrl);
                 SharedState state = SharedState.open(stateUrl)) {
                java.util.concurrent.atomic.AtomicReference<String> crashSource = new java.util.concurrent.atomic.AtomicReference<>("");
                if (produce) {
                    try (Producer<Long> producer = streamable.producer(DEPOSITS)) {
                        List<OutgoingMessage<Long>> inputs = new ArrayList<>();
                        for (long i = 0; i < MESSAGES; i++) {
                            inputs.add(OutgoingMessage.of(keyOf(i), i + 1));
                        }
                        List<Position> positions = producer.appendAllAndWait(inputs);
                        for (int i = 0; i < positions.size(); i++) {
                            String source = DEPOSITS.name() + "@" + positions.get(i).encode();
                            System.out.println(INPUT + source);
                            if (i == crashAt) {
                                crashSource.set(source);
                            }
                        }
                    }
                }
                AtomicLong printed = new AtomicLong();
                Consumer<String> reader = streamable.consumer(BALANCES).startFrom(StartFrom.beginning())
                        .handler(message -> print(message, printed)).start();
                AtomicLong appendsStarted = new AtomicLong();
                Streamable crashing = new InterceptingStreamable(streamable, (topic, messages) -> {
                    String source = messages.get(0).headers().get(StateProcessor.SOURCE_HEADER);
                    if (source.equals(crashSource.get())) {
                        // everything appended before is printed, so the test has seen it; then die here
                        awaitPrinted(printed, appendsStarted.get());
                        System.out.println(CRASH_POINT);
                        System.out.flush();
                        new CountDownLatch(1).await();
                    }
                    appendsStarted.incrementAndGet();
                });
                CountDownLatch caughtUp = new CountDownLatch(1);
                StateProcessor processor = StateProcessor.builder(crashing, state.store(STORE, Long.class), BALANCES)
                        .name("crash")
                        .instanceId("only")
                        .input(DEPOSITS, Message::shardingKey, (current, message) -> {
                            long balance = current.orElse(0L) + message.payload();
                            return Step.of(balance, OutgoingMessage.of(message.shardingKey(),
                                    message.shardingKey() + "=" + balance));
                        })
                        .onCaughtUp(caughtUp::countDown)
                        .start();
                caughtUp.await();
                awaitPrinted(printed, processor.stats().emitted());
                processor.close();
                reader.close();
                System.out.println(DONE);
                System.out.flush();
            }
        }

        private static void print(Message<String> message, AtomicLong printed) {
            System.out.println(OUTPUT + describe(message));
            System.out.flush();
            synchronized (printed) {
                printed.incrementAndGet();
                printed.notifyAll();
            }
        }

        /** Waits until the output reader has printed {@code count} outputs. */
        private static void awaitPrinted(AtomicLong printed, long count) throws InterruptedException {
            synchronized (printed) {
                while (printed.get() < count) {
                    printed.wait();
                }
            }
        }

        /** An output as one line: source header, version header, payload. */
        static String describe(Message<String> message) {
            return message.header(StateProcessor.SOURCE_HEADER).orElse("?") + " "
                    + message.header(StateProcessor.VERSION_HEADER).orElse("?") + " " + message.payload();
        }
    }
}
