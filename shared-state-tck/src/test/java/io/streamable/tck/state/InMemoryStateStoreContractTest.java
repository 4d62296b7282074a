package io.streamable.tck.state;

import io.streamable.state.SharedState;

/** The state store contract on the in-memory state backend that ships with shared-state. */
class InMemoryStateStoreContractTest extends StateStoreContractTest {

    @Override
    protected StateFixture fixture() {
        return () -> SharedState.open("memory:state-contract");
    }
}
