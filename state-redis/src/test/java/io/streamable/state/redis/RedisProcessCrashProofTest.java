package io.streamable.state.redis;

import io.streamable.tck.state.ProcessCrashProof;

/** The child-JVM crash proof with its state in a real redis-server (AOF on). */
class RedisProcessCrashProofTest extends ProcessCrashProof {

    @Override
    protected String stateUrl() {
        return RedisTestServer.stateUrl("crash");
    }
}
