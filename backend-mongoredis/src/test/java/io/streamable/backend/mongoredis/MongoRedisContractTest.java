package io.streamable.backend.mongoredis;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.BackendContractTest;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;

import java.util.Set;

/**
 * The whole contract suite against MongoDB and Redis (external servers from the environment, else
 * embedded ones, see {@link TestServers}). One database for the run: the suite expects every
 * connection to see the same data and gives each test topics of its own.
 */
class MongoRedisContractTest extends BackendContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return new BackendFixture() {
            @Override
            public Streamable open() {
                return Streamable.open(URL);
            }

            @Override
            public void suspendOwnership(TopicReader reader) {
                if (!(reader instanceof MongoTopicReader mongo)) {
                    throw new IllegalArgumentException("Not a mongoredis reader: " + reader);
                }
                mongo.suspendOwnership();
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
