package io.streamable.backend.inmemory;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.BackendContractTest;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.util.Set;

/** The in-memory backend is the contract's reference implementation: it must pass all of it, also in parallel. */
@Execution(ExecutionMode.CONCURRENT)
class InMemoryContractTest extends BackendContractTest {

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                // a short lease, so the fencing tests' take-over comes quickly, yet long enough that a
                // heartbeat delayed by a loaded machine does not lose a live reader its name
                return Streamable.open("memory:contract?leaseTtl=3s");
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.CONSUMER_GROUPS);
            }

            @Override
            public void suspendOwnership(TopicReader reader) {
                ((InMemoryReader) reader).suspendOwnership();
            }
        };
    }
}
