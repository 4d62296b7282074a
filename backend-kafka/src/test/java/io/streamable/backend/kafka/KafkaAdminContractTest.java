package io.streamable.backend.kafka;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.AdminContractTest;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;

import java.time.Duration;
import java.util.Set;

/**
 * Resetting and deleting consumers (consumer group offsets) and topics against a real Kafka
 * broker: the embedded KRaft broker, or the cluster named by
 * {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE}.
 */
class KafkaAdminContractTest extends AdminContractTest {
    private static final int MAX_POLL_INTERVAL_MS = 10_000;

    @Override
    protected BackendFixture fixture() {
        // a paused reader loses its name after 10 s without a poll (see suspendOwnership)
        String url = KafkaTestSupport.url("kafka.max.poll.interval.ms=" + MAX_POLL_INTERVAL_MS);
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(url);
            }

            @Override
            public void suspendOwnership(TopicReader reader) {
                KafkaReaderHooks.suspend(reader, Duration.ofMillis(MAX_POLL_INTERVAL_MS).plusSeconds(30));
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.PARTITIONED, Capability.LAZY_COMPACTION, Capability.CONSUMER_GROUPS);
            }
        };
    }
}
