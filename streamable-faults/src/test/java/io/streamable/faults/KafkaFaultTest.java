package io.streamable.faults;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

/**
 * The fault suite on Kafka: a single-node KRaft broker as a process of its own, plus the broker
 * killed with {@code kill -9} and restarted on the same log directory while producers and a
 * consumer run.
 */
@DisplayName("fault suite: kafka with real processes")
class KafkaFaultTest extends FaultSuite {
    private KafkaProcess broker;

    @Override
    protected String backend() {
        return "kafka";
    }

    @BeforeAll
    void startBroker() {
        Path directory = ROOT.resolve(backend()).toAbsolutePath();
        Scenario.deleteRecursively(directory);
        broker = new KafkaProcess(directory.resolve("broker"), MongoRedisFaultTest.freePort(),
                MongoRedisFaultTest.freePort());
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopBroker, "fault-suite-kafka-broker"));
        broker.start();
    }

    @AfterAll
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Override
    protected String url(String scenario) {
        // four partitions; segments roll every 500 ms so compaction runs during the scenario; a 2 s
        // session, so a killed consumer's name is free again quickly
        // the group scenario's three members need more partitions than three to split evenly
        int partitions = "group".equals(scenario) ? 12 : 4;
        return "kafka://" + broker.bootstrap() + "?partitions=" + partitions + "&topic.segment.ms=500"
                + "&topic.min.cleanable.dirty.ratio=0.01&kafka.session.timeout.ms=2000&kafka.heartbeat.interval.ms=500";
    }

    @Test
    @Order(10)
    @DisplayName("the broker killed with kill -9 and restarted on its log directory: nothing lost or reordered")
    void killBroker() {
        serverFaults("kill-broker", settings.brokerKills(), () -> {
            broker.kill9();
            downTime();
            broker.start();
        });
    }
}
