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

    /** The URL every member connects with; a subclass runs the contract with other group options. */
    String url() {
        return URL;
    }

    @Override
    protected BackendFixture fixture() {
        String url = url();
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(url);
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
