package io.streamable.state.mongodb;

import io.streamable.backend.mongoredis.TestServers;
import io.streamable.tck.state.GroupBankAccountsProcessProof;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.slf4j.LoggerFactory;

/**
 * The group proof with three child JVMs: topics on MongoRedis (a mongo-java-server and a
 * redis-server of this test's own, which other processes reach over TCP, unlike the in-memory
 * topic backend), state in MongoDB. The lease is the default 10 s: with 5 s an idle child on a
 * loaded machine (load average 15 on two cores) was once removed from the group before the first
 * message and stopped, fenced.
 */
class MongoRedisGroupBankAccountsProcessProofTest extends GroupBankAccountsProcessProof {
    private static TestServers.EmbeddedMongo mongo;
    private static TestServers.EmbeddedRedis redis;

    @BeforeAll
    static void startServers() {
        mongo = TestServers.startMongo();
        redis = TestServers.startRedis();
    }

    @AfterAll
    static void stopServers() {
        redis.close();
        mongo.close();
    }

    @AfterEach
    void reportRaces() {
        // every process appends to the output topic: each lost race for the next id costs a retry
        LoggerFactory.getLogger(MongoRedisGroupBankAccountsProcessProofTest.class).info(
                "Appends that lost the race for the next id on the topics' MongoDB: {}", mongo.duplicateKeyErrors());
    }

    @Override
    protected String stateUrl() {
        return MongoTestServer.stateUrl("group-proof");
    }

    @Override
    protected String topicUrl() {
        return TestServers.urlFor(mongo.uri(), redis.uri(), TestServers.freshDatabase());
    }
}
