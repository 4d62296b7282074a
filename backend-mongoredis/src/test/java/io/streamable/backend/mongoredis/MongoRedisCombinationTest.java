package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.CombinationContractTest;

/**
 * The contract's guarantees in combination on MongoDB and Redis: producers on several connections
 * (each with its own cached head) while compaction deletes superseded documents, live and restarted
 * named consumers. Same servers and options as {@link MongoRedisContractTest}.
 */
class MongoRedisCombinationTest extends CombinationContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open(URL);
    }
}
