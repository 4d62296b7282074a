package io.streamable.backend.kafka;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.RetentionContractTest;

import java.time.Duration;
import java.util.Set;

/**
 * Retention ({@code retention.ms} / {@code retention.bytes} with {@code cleanup.policy=compact,delete},
 * applied at once with {@code deleteRecords}) and starting at an instant ({@code ListOffsets} by
 * timestamp) against a real Kafka broker: the embedded KRaft broker, or the cluster named by
 * {@value EmbeddedKafka#BOOTSTRAP_ENVIRONMENT_VARIABLE}.
 */
class KafkaRetentionContractTest extends RetentionContractTest {

    @Override
    protected BackendFixture fixture() {
        String url = KafkaTestSupport.url("");
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(url);
            }

            @Override
            public Duration retentionAge() {
                // the log cleaner applies retention.ms of compact,delete topics on its own within seconds
                return Duration.ofSeconds(10);
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.PARTITIONED, Capability.LAZY_COMPACTION, Capability.SERVER_RETENTION);
            }
        };
    }
}
