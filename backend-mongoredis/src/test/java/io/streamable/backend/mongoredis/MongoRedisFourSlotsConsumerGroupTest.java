package io.streamable.backend.mongoredis;

/**
 * The consumer group contract on MongoDB and Redis with topics of 4 slots ({@code slots=4}) and a
 * short debounce ({@code rebalanceDelay=100ms}): the suite reads the slot count from the members,
 * so it checks shares, stickiness and hand-overs for a count other than the default 16.
 */
class MongoRedisFourSlotsConsumerGroupTest extends MongoRedisConsumerGroupTest {
    private static final String URL = TestServers.url("leaseTtl=2s", "slots=4", "rebalanceDelay=100ms");

    @Override
    String url() {
        return URL;
    }
}
