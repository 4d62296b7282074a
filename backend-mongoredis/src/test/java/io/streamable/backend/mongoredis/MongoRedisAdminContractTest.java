package io.streamable.backend.mongoredis;

import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.tck.AdminContractTest;
import io.streamable.tck.BackendFixture;

/**
 * Resetting and deleting consumers and topics against MongoDB and Redis (external servers from the
 * environment, else embedded ones, see {@link TestServers}).
 */
class MongoRedisAdminContractTest extends AdminContractTest {
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
                ((MongoTopicReader) reader).suspendOwnership();
            }
        };
    }
}
