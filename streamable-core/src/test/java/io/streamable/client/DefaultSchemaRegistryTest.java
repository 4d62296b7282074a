package io.streamable.client;

import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.SchemaRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Replaying a topic's schema log, unit-tested against the engine's fake backend. */
class DefaultSchemaRegistryTest {
    private final FakeTopicStore.FakeBackend backend = new FakeTopicStore.FakeBackend();
    private final JsonCodecFactory codecs = JsonCodecFactory.defaults();
    private final DefaultSchemaRegistry registry = new DefaultSchemaRegistry(backend, codecs.objectMapper(), codecs,
            List.of());

    @Test
    void anEmptySchemaLogLoadsWithoutWaitingForRecords() {
        SchemaLog log = registry.load("orders", Set.of());

        assertThat(log).isNotNull();
        // a read that waits would cost every new connection's first decode the whole wait on an empty log
        assertThat(backend.topic(SchemaRegistry.schemaTopic("orders")).readWaits)
                .as("one read, which returns what is there").containsExactly(Duration.ZERO);
    }
}
