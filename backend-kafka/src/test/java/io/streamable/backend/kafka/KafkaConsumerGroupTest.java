package io.streamable.backend.kafka;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.ConsumerGroupContractTest;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.util.Set;

/**
 * The consumer group contract on Kafka: members of the Kafka consumer group named after the
 * consumer, cooperative sticky assignment, a slot per partition (12 here, so three members get
 * four each and a rolling restart can show that a third of them move).
 *
 * <p>A paused member is acted by {@link KafkaBackend#suspendReaders()}: its reads stop polling, so
 * after {@code max.poll.interval.ms} (6 s here) the consumer's heartbeat thread leaves the group, as
 * Kafka expires a member whose process stopped calling it.
 */
@Execution(ExecutionMode.SAME_THREAD)
class KafkaConsumerGroupTest extends ConsumerGroupContractTest {
    private static final int MAX_POLL_INTERVAL_MS = 6_000;

    @Override
    protected BackendFixture fixture() {
        String url = KafkaTestSupport.url("kafka.max.poll.interval.ms=" + MAX_POLL_INTERVAL_MS)
                .replace("partitions=" + KafkaTestSupport.PARTITIONS, "partitions=12");
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
            public void suspendOwnership(Streamable connection) {
                ((KafkaBackend) connection.backend()).suspendReaders();
            }
        };
    }
}
