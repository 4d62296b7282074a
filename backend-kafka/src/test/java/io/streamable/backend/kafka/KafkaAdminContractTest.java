package io.streamable.backend.kafka;

import io.streamable.client.Streamable;
import io.streamable.tck.AdminContractTest;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;

import java.util.Set;

/**
 * Resetting and deleting consumers (consumer group offsets) and topics against a real Kafka
 * broker: the embedded KRaft broker, or the cluster named by
 * {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE}.
 */
class KafkaAdminContractTest extends AdminContractTest {

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
                return Set.of(Capability.PARTITIONED, Capability.LAZY_COMPACTION);
            }
        };
    }
}
