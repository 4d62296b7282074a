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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scenarios every backend that works across processes runs: producer processes killed with
 * {@code kill -9}, the consumer process killed and restarted by name, the consumer frozen with
 * SIGSTOP past its lease while a successor takes over, and a group of three consumer processes under
 * one name with one member killed and one frozen until it is fenced. A backend's test adds its server faults
 * with {@link #serverFaults}. Each scenario prints one {@code FAULTS} line and asserts the
 * oracle ({@link Oracle}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FaultSuite {
    static final Path ROOT = Path.of("target", "faults");
    /** How long a resumed holder that lost its name gets to notice and stop. */
    static final Duration FENCING_PATIENCE = Duration.ofSeconds(10);
    /** How long a group member stays frozen: past the 2 s lease (MongoRedis) or session (Kafka) both URLs set. */
    static final Duration FROZEN_FOR = Duration.ofSeconds(4);
    /** How many of a member's last deliveries tell which keys it owns now. */
    private static final int RECENT = 40;

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

    @Test
    @Order(4)
    @DisplayName("a group of three consumer processes under one name: one killed -9 and restarted, one frozen past its lease is fenced; no key in two handlers at once, nothing lost or reordered")
    void group() {
        try (Scenario scenario = scenario("group")) {
            // more keys than the other scenarios, so three members each get a share of the slots
            scenario.keysPerProducer(8);
            // one after another: three JVMs starting at once on a loaded machine can keep a joining
            // member from renewing its lease in time, and it is fenced before it ever delivers
            List<Scenario.ConsumerSlot> members = new ArrayList<>();
            for (String member : List.of("a", "b", "c")) {
                Scenario.ConsumerSlot started = scenario.startMember(member, 1);
                started.awaitStarted();
                members.add(started);
            }
            scenario.startProducers();
            members.forEach(Scenario.ConsumerSlot::awaitDelivering);
            for (int kill = 0; kill < settings.groupKills(); kill++) {
                Scenario.ConsumerSlot victim = members.get(2);
                victim.awaitDelivering();
                scenario.faultPause();
                victim.kill();
                Scenario.ConsumerSlot restarted = scenario.startMember(victim.member(), 1);
                members.set(2, restarted);
                restarted.awaitStarted();
            }
            int fenced = 0;
            List<String> notFenced = new ArrayList<>();
            for (int pause = 0; pause < settings.groupPauses(); pause++) {
                Scenario.ConsumerSlot frozen = members.get(1);
                frozen.awaitDelivering();
                scenario.faultPause();
                List<Scenario.ConsumerSlot> others = List.of(members.get(0), members.get(2));
                // the keys the frozen member owns now: its recent ones that the others are not
                // delivering; right after a rebalance the others' recent deliveries still hold them
                await("keys only " + frozen.child().name() + " delivered lately").atMost(Scenario.PROGRESS_PATIENCE)
                        .pollInterval(Duration.ofMillis(100)).until(() -> !ownedOnlyBy(frozen, others).isEmpty());
                Set<String> keys = ownedOnlyBy(frozen, others);
                long before = others.stream().mapToLong(other -> other.deliveriesOf(keys)).sum();
                frozen.freeze();
                scenario.disrupted();
                // how long it stays frozen is the fault: past its 2 s lease or session for sure
                Scenario.pause(FROZEN_FOR);
                // the frozen member's keys move to the others once its lease or session expired
                await("the other members to take over the keys of frozen " + frozen.child().name())
                        .atMost(Scenario.PROGRESS_PATIENCE).pollInterval(Duration.ofMillis(100))
                        .until(() -> others.stream().mapToLong(other -> other.deliveriesOf(keys)).sum() > before);
                frozen.child().resume();
                scenario.disrupted();
                if (frozen.endsWithin(FENCING_PATIENCE) && frozen.stoppedFenced()) {
                    fenced++;
                } else {
                    notFenced.add(frozen.child().name() + " alive=" + frozen.child().isAlive() + " said " + frozen.child().lines());
                    frozen.child().close();
                }
                Scenario.ConsumerSlot rejoined = scenario.startMember(frozen.member(), 1);
                members.set(1, rejoined);
                rejoined.awaitStarted();
            }
            members.forEach(Scenario.ConsumerSlot::awaitDelivering);
            scenario.awaitProgress();
            scenario.finishGroup(settings.groupKills() + settings.groupPauses(),
                    "fenced=" + fenced + "/" + settings.groupPauses() + " seed=" + seed);
            assertThat(notFenced).as("frozen members resumed after their keys moved: each must stop with"
                    + " ConsumerFencedException in stopped()").isEmpty();
        }
    }

    private static Set<String> ownedOnlyBy(Scenario.ConsumerSlot member, List<Scenario.ConsumerSlot> others) {
        Set<String> keys = new HashSet<>(member.recentKeys(RECENT));
        others.forEach(other -> keys.removeAll(other.recentKeys(RECENT)));
        return keys;
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
