package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.RetentionContractTest;

/** Retention and starting at an instant on the in-memory backend. */
class InMemoryRetentionContractTest extends RetentionContractTest {

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:retention");
    }
}
