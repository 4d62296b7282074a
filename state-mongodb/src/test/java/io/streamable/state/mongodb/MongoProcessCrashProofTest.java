package io.streamable.state.mongodb;

import io.streamable.tck.state.ProcessCrashProof;

/** The child-JVM crash proof with its state in MongoDB (the test JVM's mongo-java-server, over TCP). */
class MongoProcessCrashProofTest extends ProcessCrashProof {

    @Override
    protected String stateUrl() {
        return MongoTestServer.stateUrl("crash");
    }
}
