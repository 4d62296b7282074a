package io.streamable.benchmarks.servers;

import io.streamable.backend.kafka.EmbeddedKafka;
import io.streamable.benchmarks.harness.Settings;

import java.util.Map;

/**
 * The Kafka every Kafka scenario of a run shares: the external one named by {@code --kafka}, else
 * the tests' embedded KRaft broker (started once per JVM, with time-based segment rolling switched
 * back to Kafka's defaults), stopped when the JVM exits.
 */
public final class KafkaBroker {
    private static EmbeddedKafka broker;

    private KafkaBroker() {
    }

    /** {@return the bootstrap servers of the Kafka the settings name, else of the embedded broker} */
    public static String bootstrap(Settings.Servers servers) {
        return servers.kafkaBootstrap().orElseGet(KafkaBroker::embedded);
    }

    private static synchronized String embedded() {
        if (broker == null) {
            // the test broker rolls segments every 500 ms to make compaction observable; not wanted here
            broker = EmbeddedKafka.start(Map.of("log.roll.ms", "604800000", "log.cleaner.backoff.ms", "15000"));
            EmbeddedKafka started = broker;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "embedded-kafka-shutdown"));
        }
        return broker.bootstrapServers();
    }
}
