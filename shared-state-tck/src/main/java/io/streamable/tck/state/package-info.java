/**
 * The state store contract suite: {@link io.streamable.tck.state.StateStoreContractTest}, run by
 * every shared-state backend with a {@link io.streamable.tck.state.StateFixture}.
 */
package io.streamable.tck.state;
