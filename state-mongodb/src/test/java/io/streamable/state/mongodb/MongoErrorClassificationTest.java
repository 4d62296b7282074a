package io.streamable.state.mongodb;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteConcernException;
import com.mongodb.MongoWriteException;
import com.mongodb.ServerAddress;
import com.mongodb.WriteError;
import com.mongodb.bulk.WriteConcernError;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which MongoDB errors the state store reports as "unavailable, retry" (a processor retries them)
 * and which as permanent, with exceptions built as the driver builds them from server replies.
 */
class MongoErrorClassificationTest {
    private static final ServerAddress SERVER = new ServerAddress("db1", 27017);

    private static BsonDocument reply(int code, String codeName) {
        return new BsonDocument("ok", new BsonInt32(0)).append("code", new BsonInt32(code))
                .append("codeName", new BsonString(codeName)).append("errmsg", new BsonString(codeName + " from test"));
    }

    @ParameterizedTest(name = "server error code {0}")
    @ValueSource(ints = {10107, 13435, 11602, 189, 91, 11600, 13436})
    @DisplayName("election, stepdown and shutdown codes are unavailable, as command, write and write concern errors")
    void electionCodes(int code) {
        assertThat(MongoStateBackend.isUnavailable(new MongoCommandException(reply(code, "Code" + code), SERVER)))
                .isTrue();
        assertThat(MongoStateBackend.isUnavailable(new MongoWriteException(
                new WriteError(code, "write failed", new BsonDocument()), SERVER))).isTrue();
        assertThat(MongoStateBackend.isUnavailable(new MongoWriteConcernException(
                new WriteConcernError(code, "Code" + code, "write concern failed", new BsonDocument()), SERVER))).isTrue();
    }

    @Test
    @DisplayName("the driver's not-primary and recovering exceptions are unavailable")
    void notPrimaryExceptions() {
        assertThat(MongoStateBackend.isUnavailable(new MongoNotPrimaryException(reply(10107, "NotWritablePrimary"),
                SERVER))).isTrue();
        assertThat(MongoStateBackend.isUnavailable(new MongoNodeIsRecoveringException(
                reply(11602, "InterruptedDueToReplStateChange"), SERVER))).isTrue();
    }

    @ParameterizedTest(name = "label {0}")
    @ValueSource(strings = {"RetryableWriteError", "TransientTransactionError"})
    @DisplayName("any error labelled retryable or transient is unavailable, whatever its code")
    void labels(String label) {
        MongoException command = new MongoCommandException(reply(2, "BadValue"), SERVER);
        command.addLabel(label);
        assertThat(MongoStateBackend.isUnavailable(command)).isTrue();
        MongoWriteException write = new MongoWriteException(new WriteError(2, "x", new BsonDocument()), SERVER,
                List.of(label));
        assertThat(MongoStateBackend.isUnavailable(write)).isTrue();
    }

    @Test
    @DisplayName("network errors and timeouts are unavailable, also when wrapped")
    void network() {
        assertThat(MongoStateBackend.isUnavailable(new MongoSocketReadException("connection reset", SERVER))).isTrue();
        assertThat(MongoStateBackend.isUnavailable(new MongoTimeoutException("no server selected"))).isTrue();
        assertThat(MongoStateBackend.isUnavailable(new MongoException("wrapped",
                new MongoSocketReadException("connection reset", SERVER)))).isTrue();
    }

    @Test
    @DisplayName("refusals that a retry would meet again are permanent")
    void permanent() {
        assertThat(MongoStateBackend.isUnavailable(new MongoWriteException(
                new WriteError(11000, "E11000 duplicate key", new BsonDocument()), SERVER))).isFalse();
        assertThat(MongoStateBackend.isUnavailable(new MongoCommandException(reply(13, "Unauthorized"), SERVER)))
                .isFalse();
        assertThat(MongoStateBackend.isUnavailable(new MongoCommandException(reply(2, "BadValue"), SERVER))).isFalse();
        assertThat(MongoStateBackend.isUnavailable(new MongoWriteException(
                new WriteError(10334, "document too large", new BsonDocument()), SERVER))).isFalse();
    }
}
