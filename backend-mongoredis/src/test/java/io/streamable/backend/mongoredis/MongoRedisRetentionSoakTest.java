package io.streamable.backend.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.RetentionSoakTest;

import java.time.Duration;

/**
 * Continuous appends under an age limit against MongoDB and Redis: every connection's sweep
 * ({@value MongoRedisBackend#RETENTION_SWEEP_MILLIS} ms) removes the expired prefix while a named
 * consumer reads across the moving low-water mark.
 */
class MongoRedisRetentionSoakTest extends RetentionSoakTest {
    private static final String URL = TestServers.url("leaseTtl=2s");

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open(URL);
    }

    /** The sweep runs every second; on a loaded build machine mongo-java-server's scans make it late by seconds. */
    @Override
    protected Duration removalSlack() {
        return Duration.ofSeconds(6);
    }
}
