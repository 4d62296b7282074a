package io.streamable.tck.state;

import io.streamable.state.SharedState;

/**
 * What a state backend supplies to run {@link StateStoreContractTest}: a way to connect.
 *
 * <pre>{@code
 * class InMemoryStateStoreContractTest extends StateStoreContractTest {
 *     @Override
 *     protected StateFixture fixture() {
 *         return () -> SharedState.open("memory:state-contract");
 *     }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface StateFixture {

    /**
     * A new connection to the backend under test; the test closes it. Every connection a fixture
     * opens must see the same stored data, so a test can write on one and read on another.
     *
     * @return the connection, which the test closes
     */
    SharedState open();
}
