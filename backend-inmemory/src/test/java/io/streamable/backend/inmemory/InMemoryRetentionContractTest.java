package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.RetentionContractTest;

import java.util.Set;

/** Retention and starting at an instant on the in-memory backend, with consumer groups. */
class InMemoryRetentionContractTest extends RetentionContractTest {

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open("memory:retention");
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.CONSUMER_GROUPS, Capability.RETENTION_WITH_GROUPS);
            }
        };
    }
}
