package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendContractTest;
import io.streamable.tck.BackendFixture;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** The in-memory backend is the contract's reference implementation: it must pass all of it, also in parallel. */
@Execution(ExecutionMode.CONCURRENT)
class InMemoryContractTest extends BackendContractTest {

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:contract");
    }
}
