package io.streamable.backend.kafka;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.BackendContractTest;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.AfterAll;

import java.time.Duration;
import java.util.Set;

/**
 * The whole contract suite against a real Kafka broker: the embedded KRaft broker, or the cluster
 * named by {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE}.
 *
 * <p>Kafka compacts lazily, per partition, and never the active segment, which rolls only when a
 * later record arrives. The suite's compaction tests append a few records and wait, so a
 * {@link CompactionNudger} plays the part of later traffic on their topics ({@code tck-compact*}),
 * with records of aborted transactions that no reader sees.
 */
@Execution(ExecutionMode.CONCURRENT)
class KafkaContractTest extends BackendContractTest {
    private static final int MAX_POLL_INTERVAL_MS = 20_000;
    private static CompactionNudger nudger;

    @Override
    protected BackendFixture fixture() {
        // a reader that stops polling loses its name after 20 s (see suspendOwnership): long enough that
        // a reader a test holds without calling it for a while keeps its name, as Kafka expires members that stop polling
        String url = KafkaTestSupport.url("kafka.max.poll.interval.ms=" + MAX_POLL_INTERVAL_MS);
        startNudger();
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(url);
            }

            /**
             * A paused process neither polls nor is called: the test stops calling the reader, and
             * Kafka's liveness check (no poll within {@code max.poll.interval.ms}) expires it. Returns
             * once the broker has dropped it from the group, so a successor can take the name.
             */
            @Override
            public void suspendOwnership(TopicReader reader) {
                KafkaReaderHooks.suspend(reader, Duration.ofMillis(MAX_POLL_INTERVAL_MS).plusSeconds(30));
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.PARTITIONED, Capability.LAZY_COMPACTION, Capability.CONSUMER_GROUPS);
            }

            @Override
            public Duration compactionTimeout() {
                return Duration.ofSeconds(60); // every test topic is a cleaning candidate, so the cleaner may queue
            }
        };
    }

    private static synchronized void startNudger() {
        if (nudger == null) {
            nudger = CompactionNudger.start(EmbeddedKafka.shared().bootstrapServers(),
                    topic -> topic.startsWith("tck-compact"));
        }
    }

    @AfterAll
    static synchronized void stopNudger() {
        if (nudger != null) {
            nudger.close();
            nudger = null;
        }
    }
}
