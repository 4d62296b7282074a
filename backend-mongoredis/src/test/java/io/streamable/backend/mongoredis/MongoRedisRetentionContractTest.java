package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.RetentionContractTest;

/**
 * Retention (prefix removal below the low-water mark) and starting at an instant (binary search
 * over {@code _id}) against MongoDB and Redis: external servers from the environment, else
 * embedded ones, see {@link TestServers}.
 */
class MongoRedisRetentionContractTest extends RetentionContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open(URL);
    }
}
