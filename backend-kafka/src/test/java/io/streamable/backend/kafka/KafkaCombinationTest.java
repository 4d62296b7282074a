package io.streamable.backend.kafka;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.CombinationContractTest;
import org.junit.jupiter.api.parallel.Isolated;

import java.time.Duration;
import java.util.Set;

/**
 * The contract's guarantees in combination on a real Kafka broker (the shared embedded one, or the
 * cluster named by {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE}), 4 partitions.
 *
 * <p>Unlike {@link KafkaContractTest}, no {@link CompactionNudger}: the producers of a combination
 * test keep appending for seconds, so segments roll ({@value KafkaTestSupport#SEGMENT_MS} ms) and
 * the cleaner compacts while consumers read; and the suite waits for each consumer's lag to reach
 * 0, which the nudger's aborted records (offsets no reader ever consumes) would prevent.
 *
 * <p>{@link Isolated}: its producers and restarted consumer groups keep the one broker busy, so it
 * does not run beside the contract suite's concurrent tests, which wait on that broker with fixed
 * timeouts.
 */
@Isolated("keeps the shared broker busy for seconds per test")
class KafkaCombinationTest extends CombinationContractTest {

    @Override
    protected BackendFixture fixture() {
        String url = KafkaTestSupport.url("");
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(url);
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.PARTITIONED, Capability.LAZY_COMPACTION, Capability.CONSUMER_GROUPS);
            }

            @Override
            public Duration compactionTimeout() {
                return Duration.ofSeconds(30);
            }
        };
    }
}
