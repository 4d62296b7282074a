package io.streamable.backend.mongoredis;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.ReadConcern;
import com.mongodb.ServerAddress;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.streamable.StreamableException;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Write and read concerns, sharded collections refused, and which MongoDB errors count as outages. */
class ConsistencyTest {

    private static MongoRedisSettings parse(String url) {
        return MongoRedisSettings.parse(BackendUrl.parse(url));
    }

    @Test
    @DisplayName("appends, positions and leases are written with w=majority and read with majority read concern"
            + " unless the URL says otherwise")
    void majorityByDefault() {
        MongoRedisSettings defaults = parse("mongoredis://localhost/db?redis=none");
        assertThat(defaults.writeConcern()).isEqualTo(WriteConcern.MAJORITY);
        assertThat(defaults.readConcern()).isEqualTo(ReadConcern.MAJORITY);

        MongoRedisSettings configured = parse("mongoredis://localhost/db?redis=none&w=3&readConcernLevel=linearizable");
        assertThat(configured.writeConcern().getW()).isEqualTo(3);
        assertThat(configured.readConcern()).isEqualTo(ReadConcern.LINEARIZABLE);
    }

    @Test
    @DisplayName("w=0 and journal=false are refused: they cannot give an append a durable position")
    void unacknowledgedWritesAreRefused() {
        assertThatThrownBy(() -> parse("mongoredis://localhost/db?redis=none&w=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w=0 and journal=false");
        assertThatThrownBy(() -> parse("mongoredis://localhost/db?redis=none&journal=false"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("durable position");
    }

    @Test
    @DisplayName("a sharded topic collection (listed in config.collections) is refused with a clear error")
    void shardedCollectionIsRefused() {
        String database = TestServers.freshDatabase();
        try (MongoClient raw = MongoClients.create(TestServers.mongoUri());
             Streamable streamable = Streamable.open(TestServers.urlFor(TestServers.mongoUri(), "none", database))) {
            // what a mongos (or a shard server) lists for a sharded collection
            raw.getDatabase("config").getCollection("collections").insertOne(new Document("_id", database + ".orders")
                    .append("key", new Document("_id", "hashed")));
            TopicStore store = streamable.backend().topic("orders");

            assertThatThrownBy(() -> store.append(List.of(new AppendRecord("k", Optional.empty(), Map.of(),
                    new byte[1]))).get()).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(StreamableException.class)
                    .hasMessageContaining(database + ".orders\" of topic \"orders\" is sharded")
                    .hasMessageContaining("_id is unique per shard only");
            assertThatThrownBy(() -> store.openReader(ReaderSpec.anonymous(StartFrom.beginning())))
                    .isInstanceOf(StreamableException.class).hasMessageContaining("is sharded");
            assertThat(streamable.backend().topic("unsharded").append(List.of(new AppendRecord("k", Optional.empty(),
                    Map.of(), new byte[1]))).join()).hasSize(1);
        }
    }

    @Test
    @DisplayName("network failures, timeouts, elections and shutdowns are outages; refusals such as Unauthorized are not")
    void classifiesErrors() {
        ServerAddress address = new ServerAddress("db", 27017);
        assertThat(MongoRedisBackend.isUnavailable(new MongoSocketReadException("reset", address))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(new MongoTimeoutException("no server"))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(command(address, 189, "PrimarySteppedDown"))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(command(address, 91, "ShutdownInProgress"))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(new MongoInterruptedException("interrupted", null))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(command(address, 50, "MaxTimeMSExpired"))).isTrue();
        assertThat(MongoRedisBackend.isUnavailable(command(address, 13, "Unauthorized"))).isFalse();
        assertThat(MongoRedisBackend.isUnavailable(command(address, 2, "BadValue"))).isFalse();
    }

    private static MongoCommandException command(ServerAddress address, int code, String name) {
        return new MongoCommandException(new BsonDocument("ok", new BsonInt32(0)).append("code", new BsonInt32(code))
                .append("codeName", new BsonString(name)).append("errmsg", new BsonString(name)), address);
    }
}
