package io.streamable.state.mongodb;

import io.streamable.state.SharedState;
import io.streamable.tck.state.StateFixture;
import io.streamable.tck.state.StateStoreContractTest;

/** The state store contract on MongoDB, through the real driver over TCP. */
class MongoStateStoreContractTest extends StateStoreContractTest {
    private final String url = MongoTestServer.stateUrl("contract");

    @Override
    protected StateFixture fixture() {
        return () -> SharedState.open(url);
    }
}
