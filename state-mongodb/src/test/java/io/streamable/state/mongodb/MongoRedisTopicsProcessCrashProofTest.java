package io.streamable.state.mongodb;

import io.streamable.backend.mongoredis.TestServers;
import io.streamable.tck.state.ProcessCrashProof;

import java.util.Optional;

/**
 * The child-JVM crash proof with its topics on MongoRedis as well as its state in MongoDB: the
 * restarted child resumes after its saved consumer position, is redelivered the message it was
 * killed on, and appends that message's output from the outbox.
 */
class MongoRedisTopicsProcessCrashProofTest extends ProcessCrashProof {

    @Override
    protected String stateUrl() {
        return MongoTestServer.stateUrl("crash-mongoredis");
    }

    @Override
    protected Optional<String> sharedTopicUrl() {
        return Optional.of(TestServers.url());
    }
}
