package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.CombinationContractTest;

/** The contract's guarantees in combination (several connections, compaction, restarts) on the reference backend. */
class InMemoryCombinationTest extends CombinationContractTest {

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:combination");
    }
}
