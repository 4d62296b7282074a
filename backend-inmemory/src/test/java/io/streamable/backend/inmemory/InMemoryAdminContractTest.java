package io.streamable.backend.inmemory;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.AdminContractTest;
import io.streamable.tck.BackendFixture;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** Resetting and deleting consumers and topics on the in-memory backend. */
@Execution(ExecutionMode.CONCURRENT)
class InMemoryAdminContractTest extends AdminContractTest {

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open("memory:admin-contract?leaseTtl=3s");
            }

            @Override
            public void suspendOwnership(TopicReader reader) {
                ((InMemoryReader) reader).suspendOwnership();
            }
        };
    }
}
