package io.streamable.backend.kafka;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import io.streamable.tck.SchemaContractTest;

import java.util.Set;

/** The schema registry's contract on Kafka: schema versions live in the one-partition topic {@code __schemas.<topic>}. */
@Execution(ExecutionMode.CONCURRENT)
class KafkaSchemaContractTest extends SchemaContractTest {

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
        };
    }
}
