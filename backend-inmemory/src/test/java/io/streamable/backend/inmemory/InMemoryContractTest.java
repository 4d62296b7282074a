package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendContractTest;
import io.streamable.tck.BackendFixture;

/** The in-memory backend is the contract's reference implementation: it must pass all of it. */
class InMemoryContractTest extends BackendContractTest {

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:contract");
    }
}
