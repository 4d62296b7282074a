package io.streamable.state.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.streamable.state.Change;
import io.streamable.state.SharedState;
import io.streamable.state.Source;
import io.streamable.state.StateStore;
import org.bson.Document;
import org.bson.types.Binary;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MongoStateStoreProviderTest {

    @Test
    @DisplayName("a key is one document: _id, version, value bytes and applied positions per topic")
    void documentLayout() {
        String url = MongoTestServer.stateUrl("layout");
        try (SharedState state = SharedState.open(url)) {
            StateStore<Long> store = state.store("balances", Long.class);
            store.update("acct-1", Source.of("bank.deposits", 41), current -> 250L);
        }
        String prefix = url.substring(url.indexOf("collectionPrefix=") + "collectionPrefix=".length());
        ConnectionString connection = new ConnectionString(MongoStateStoreProvider.withoutOwnOptions(url));
        String database = connection.getDatabase() == null ? MongoStateStoreProvider.DEFAULT_DATABASE
                : connection.getDatabase();
        try (MongoClient client = MongoClients.create(connection)) {
            Document document = client.getDatabase(database)
                    .getCollection(MongoStateStoreProvider.collectionName(prefix, "balances"))
                    .find(new Document("_id", "acct-1")).first();
            assertThat(document).isNotNull();
            assertThat(document.get(MongoStateStoreProvider.VERSION_FIELD, Number.class).longValue()).isEqualTo(1);
            assertThat(new String(document.get(MongoStateStoreProvider.VALUE_FIELD, Binary.class).getData(),
                    StandardCharsets.UTF_8)).isEqualTo("250");
            assertThat(document.get(MongoStateStoreProvider.APPLIED_FIELD, Document.class))
                    .containsEntry("bank~deposits", "41");
            assertThat(document).as("no outbox fields without pending output")
                    .doesNotContainKeys(MongoStateStoreProvider.OUTBOX_FIELD, MongoStateStoreProvider.PENDING_FIELD);
        }
    }

    @Test
    @DisplayName("pending output is an outbox array of source and bytes, flagged by the indexed pending field")
    void outboxLayout() {
        String url = MongoTestServer.stateUrl("outbox");
        try (SharedState state = SharedState.open(url)) {
            state.store("balances", Long.class).computeWithOutput("acct-1", Source.of("bank.deposits", 41),
                    current -> Change.of(250L, "out".getBytes(StandardCharsets.UTF_8)));
        }
        String prefix = url.substring(url.indexOf("collectionPrefix=") + "collectionPrefix=".length());
        ConnectionString connection = new ConnectionString(MongoStateStoreProvider.withoutOwnOptions(url));
        try (MongoClient client = MongoClients.create(connection)) {
            var collection = client.getDatabase(connection.getDatabase())
                    .getCollection(MongoStateStoreProvider.collectionName(prefix, "balances"));
            Document document = collection.find(new Document(MongoStateStoreProvider.PENDING_FIELD, true)).first();
            assertThat(document).isNotNull();
            assertThat(document.getList(MongoStateStoreProvider.OUTBOX_FIELD, Document.class)).singleElement()
                    .satisfies(entry -> {
                        assertThat(entry.getString("s")).isEqualTo("bank.deposits@41");
                        // the framework's envelope (the writing version) precedes the caller's bytes
                        assertThat(new String(entry.get("o", Binary.class).getData(), StandardCharsets.UTF_8))
                                .endsWith("out");
                    });
        }
    }

    @Test
    @DisplayName("the module's own options are kept from the driver, the driver's are passed on")
    void ownOptionsStripped() {
        assertThat(MongoStateStoreProvider.withoutOwnOptions("mongodb://h:1/db?collectionPrefix=x.&w=majority"))
                .isEqualTo("mongodb://h:1/db?w=majority");
        assertThat(MongoStateStoreProvider.withoutOwnOptions("mongodb://h:1/db?collectionPrefix=x."))
                .isEqualTo("mongodb://h:1/db");
        assertThat(MongoStateStoreProvider.withoutOwnOptions("mongodb://h:1/db")).isEqualTo("mongodb://h:1/db");
    }

    @Test
    @DisplayName("an invalid URL is refused with an example and without the password")
    void invalidUrl() {
        assertThatThrownBy(() -> SharedState.open("mongodb://user:s3cret@"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mongodb://localhost:27017/mydb")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    @DisplayName("while MongoDB is down a store can be made, and its operations fail as unavailable, to be retried")
    void downServer() {
        try (SharedState state = SharedState.open("mongodb://127.0.0.1:1/bank?serverSelectionTimeoutMS=200")) {
            StateStore<Long> store = state.store("balances", Long.class);
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(io.streamable.backend.BackendUnavailableException.class)
                    .hasMessageContaining("has a primary");
            assertThatThrownBy(() -> store.forEachPending(pending -> { }))
                    .isInstanceOf(io.streamable.backend.BackendUnavailableException.class);
        }
    }

    @Test
    @DisplayName("the password never shows in toString")
    void masked() {
        try (SharedState state = SharedState.open("mongodb://bank:s3cret@127.0.0.1:1/bank?serverSelectionTimeoutMS=100")) {
            assertThat(state.toString()).contains("bank:****@").doesNotContain("s3cret");
        }
    }
}
