package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.ConsumerGroupContractTest;

import java.util.Set;

/** Consumer groups on the reference backend: slot tables in the JVM. */
class InMemoryConsumerGroupTest extends ConsumerGroupContractTest {

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                // a short lease, so a paused member's slots move quickly
                return Streamable.open("memory:groups?leaseTtl=3s");
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.CONSUMER_GROUPS);
            }

            @Override
            public void suspendOwnership(Streamable connection) {
                ((InMemoryBackend) connection.backend()).suspendOwnership();
            }
        };
    }
}
