package io.streamable.state.redis;

import io.streamable.state.SharedState;
import io.streamable.tck.state.StateFixture;
import io.streamable.tck.state.StateStoreContractTest;

/** The state store contract on a real redis-server. */
class RedisStateStoreContractTest extends StateStoreContractTest {
    private final String url = RedisTestServer.stateUrl("contract");

    @Override
    protected StateFixture fixture() {
        return () -> SharedState.open(url);
    }
}
