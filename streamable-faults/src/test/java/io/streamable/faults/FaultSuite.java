package io.streamable.faults;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * The scenarios every backend that works across processes runs: producer processes killed with
 * {@code kill -9}, the consumer process killed and restarted by name, the consumer frozen with
 * SIGSTOP past its lease while a successor takes over. A backend's test adds its server faults
 * with {@link #serverFaults}. Each scenario prints one {@code FAULTS} line and asserts the
 * oracle ({@link Oracle}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FaultSuite {
    static final Path ROOT = Path.of("target", "faults");
    /** How long a resumed holder that lost its name gets to notice and stop. */
    static final Duration FENCING_PATIENCE = Duration.ofSeconds(10);

    protected final Settings settings = Settings.current();
    protected final long seed = Long.getLong("streamable.faults.seed", System.nanoTime());
    private final Random random = new Random(seed);

    /** The backend's name in the report. */
    protected abstract String backend();

    /** The URL the scenario's processes open. */
    protected abstract String url(String scenario);

    /** The topic of a scenario. */
    protected String topic(String scenario) {
        return "ticks-" + scenario;
    }

    /** Leaves the class path where a person reproducing a scenario by hand finds it (see the README). */
    @BeforeAll
    void writeClassPath() throws IOException {
        Files.createDirectories(ROOT);
        Files.writeString(ROOT.resolve("classpath.txt"), System.getProperty("java.class.path"), StandardCharsets.UTF_8);
    }

    protected Scenario scenario(String name) {
        return new Scenario(backend(), name, ROOT, url(name), topic(name), settings, random);
    }

    @Test
    @Order(1)
    @DisplayName("producer processes killed with kill -9 and restarted: nothing acknowledged is lost or reordered")
    void killProducers() {
        try (Scenario scenario = scenario("kill-producer")) {
            scenario.startConsumer(1).awaitStarted();
            List<Scenario.ProducerSlot> producers = scenario.startProducers();
            for (int kill = 0; kill < settings.producerKills(); kill++) {
                Scenario.ProducerSlot victim = producers.get(kill % producers.size());
                victim.awaitAcked();
                scenario.faultPause();
                victim.killAndRestart();
            }
            producers.forEach(Scenario.ProducerSlot::awaitAcked);
            scenario.awaitProgress();
            scenario.finish(settings.producerKills(), "seed=" + seed);
        }
    }

    @Test
    @Order(2)
    @DisplayName("the consumer process killed with kill -9 and restarted by name (concurrency 1 and 4): nothing lost or reordered")
    void killConsumers() {
        try (Scenario scenario = scenario("kill-consumer")) {
            Scenario.ConsumerSlot consumer = scenario.startConsumer(1);
            consumer.awaitStarted();
            scenario.startProducers();
            for (int kill = 0; kill < settings.consumerKills(); kill++) {
                consumer.awaitDelivering();
                scenario.faultPause();
                consumer.kill();
                consumer = scenario.startConsumer(kill % 2 == 0 ? 4 : 1);
                consumer.awaitStarted();
            }
            consumer.awaitDelivering();
            scenario.awaitProgress();
            scenario.finish(settings.consumerKills(), "seed=" + seed);
        }
    }

    @Test
    @Order(3)
    @DisplayName("the consumer frozen with SIGSTOP past its lease, a successor takes the name, SIGCONT: nothing lost or reordered")
    void pauseConsumer() {
        try (Scenario scenario = scenario("pause-consumer")) {
            Scenario.ConsumerSlot consumer = scenario.startConsumer(1);
            consumer.awaitStarted();
            scenario.startProducers();
            int fenced = 0;
            for (int pause = 0; pause < settings.pauses(); pause++) {
                consumer.awaitDelivering();
                scenario.faultPause();
                Scenario.ConsumerSlot frozen = consumer;
                frozen.mayEnd();
                frozen.child().pause();
                scenario.disrupted();
                // the successor can only start once the frozen holder's lease or session has expired
                consumer = scenario.startConsumer(1);
                consumer.awaitStarted();
                consumer.awaitDelivering();
                frozen.child().resume();
                scenario.disrupted();
                if (frozen.endsWithin(FENCING_PATIENCE)) {
                    fenced++;
                }
            }
            scenario.awaitProgress();
            scenario.finish(settings.pauses(), "fenced=" + fenced + "/" + settings.pauses() + " seed=" + seed);
        }
    }

    /**
     * A server fault applied {@code times} while two producers and a consumer run.
     *
     * @param fault kills or stops the server and brings it back
     */
    protected void serverFaults(String name, int times, Runnable fault) {
        try (Scenario scenario = scenario(name)) {
            scenario.startConsumer(1).awaitStarted();
            scenario.startProducers();
            for (int i = 0; i < times; i++) {
                scenario.awaitProgress();
                scenario.faultPause();
                fault.run();
                scenario.disrupted();
            }
            scenario.awaitProgress();
            scenario.finish(times, "seed=" + seed);
        }
    }

    /** A bounded random time for a server to stay down. */
    protected void downTime() {
        Scenario.pause(Duration.ofMillis(200 + random.nextInt(1300)));
    }
}
