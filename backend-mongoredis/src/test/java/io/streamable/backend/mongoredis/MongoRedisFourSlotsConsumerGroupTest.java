package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.Capability;
import io.streamable.tck.ConsumerGroupContractTest;

import java.util.Set;

/**
 * The consumer group contract on MongoDB and Redis with topics of 4 slots ({@code slots=4}) and a
 * short debounce ({@code rebalanceDelay=100ms}): the suite reads the slot count from the members,
 * so it checks shares, stickiness and hand-overs for a count other than the default 16.
 */
class MongoRedisFourSlotsConsumerGroupTest extends ConsumerGroupContractTest {
    private static final String URL = TestServers.url("leaseTtl=2s", "slots=4", "rebalanceDelay=100ms");

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
