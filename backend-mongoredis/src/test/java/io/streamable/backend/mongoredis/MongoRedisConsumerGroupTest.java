package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.ConsumerGroupContractTest;

import java.util.Set;

/**
 * The consumer group contract on MongoDB and Redis (external servers from the environment, else
 * embedded ones, see {@link TestServers}): group documents, slot leases, Redis signals.
 */
class MongoRedisConsumerGroupTest extends ConsumerGroupContractTest {
    // a short lease, so a paused member's slots move quickly
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
                return Set.of(Capability.CONSUMER_GROUPS);
            }

            @Override
            public void suspendOwnership(Streamable connection) {
                ((MongoRedisBackend) connection.backend()).suspendOwnership();
            }
        };
    }
}
