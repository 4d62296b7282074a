package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.CombinationContractTest;

import java.util.Set;

/**
 * The contract's guarantees in combination on MongoDB and Redis: producers on several connections
 * (each with its own cached head) while compaction turns superseded documents into stubs, live and restarted
 * named consumers and consumer groups. Same servers and options as {@link MongoRedisContractTest}.
 */
class MongoRedisCombinationTest extends CombinationContractTest {
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
        };
    }
}
