package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.RetentionContractTest;

import java.util.Set;

/**
 * Retention (prefix removal below the low-water mark) and starting at an instant (binary search
 * over {@code _id}) against MongoDB and Redis: external servers from the environment, else
 * embedded ones, see {@link TestServers}. Named consumers are consumer groups here, and group
 * members read below the mark as exclusive readers do.
 */
class MongoRedisRetentionContractTest extends RetentionContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(URL);
            }

            @Override
            public Set<Capability> capabilities() {
                return Set.of(Capability.CONSUMER_GROUPS, Capability.RETENTION_WITH_GROUPS);
            }
        };
    }
}
