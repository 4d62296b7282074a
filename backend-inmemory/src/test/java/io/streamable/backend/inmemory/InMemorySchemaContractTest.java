package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.SchemaContractTest;

/** The schema registry's contract on the in-memory backend. */
class InMemorySchemaContractTest extends SchemaContractTest {
    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:schema-contract");
    }
}
