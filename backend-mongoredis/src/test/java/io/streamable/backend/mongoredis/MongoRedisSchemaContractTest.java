package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.SchemaContractTest;

/** The schema registry's contract on MongoDB + Redis: schema versions live in {@code __schemas.<topic>} collections. */
class MongoRedisSchemaContractTest extends SchemaContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open(URL);
    }
}
