package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.CombinationContractTest;

import java.util.Set;

/** The contract's guarantees in combination (several connections, compaction, restarts, groups) on the reference backend. */
class InMemoryCombinationTest extends CombinationContractTest {

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open("memory:combination");
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.CONSUMER_GROUPS);
            }
        };
    }
}
