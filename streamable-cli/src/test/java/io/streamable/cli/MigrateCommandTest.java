package io.streamable.cli;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.streamable.backend.mongoredis.TestServers;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code streamable migrate} on a database written in the TypeScript prototype's shape by the raw driver. */
class MigrateCommandTest {
    private final String database = TestServers.freshDatabase();
    private final String url = TestServers.urlFor(TestServers.mongoUri(), TestServers.redisUri(), database);
    private final MongoClient raw = MongoClients.create(TestServers.mongoUri());

    @AfterEach
    void close() {
        raw.close();
    }

    private static Document prototype(Object id, String name) {
        return new Document("_id", id).append("createdAt", new Date()).append("shardingKey", name)
                .append("payload", new Document("name", name).append("isGreat", true));
    }

    @Test
    @DisplayName("inspect reports topics, counts, id ranges and types, missing ids, undecodable documents and the"
            + " nextids counter, exiting 1; fill-gaps fills the holes with stubs, after which only the poison remains")
    void inspectAndFillGaps() {
        MongoDatabase db = raw.getDatabase(database);
        db.getCollection("greetings").insertMany(List.of(prototype(1, "phil"), prototype(2, "ada"),
                prototype(4.0, "bob"), new Document("_id", 6).append("createdAt", new Date()).append("shardingKey", "x")
                        .append("payload", "not a document")));
        db.getCollection("nextids").insertOne(new Document("_id", "greetings").append("seq", 5));

        CliRun inspect = CliRun.run("", "migrate", "inspect", "--url", url);
        assertThat(inspect.code()).as(inspect.toString()).isEqualTo(1);
        assertThat(inspect.lines()).containsExactly(
                "database " + database + ": 1 topic(s), nextids counters {greetings=5}",
                "topic greetings: 4 document(s), ids 1..6 {double=1, int32=3}, prototype-shaped 3, BinData payloads 0,"
                        + " stubs 0, undecodable 1",
                "  missing ids: 2 [3, 5]; readers stop at the first one (\"storage lost data\"): run 'streamable"
                        + " migrate fill-gaps greetings' while nothing writes to it",
                "  will not decode: 6: not a record in this backend's shape: its payload is a string, not an embedded"
                        + " document or binary data (BinData)",
                "  consumers get these as poison messages: give them FailurePolicy...thenSkip() or"
                        + " thenDeadLetter(...)",
                "  nextids counter 5, below the highest id 6: a prototype producer would collide; open Java producers"
                        + " with prototypeSignals=true, which advances it",
                "  indexes: [_id_]");

        CliRun fill = CliRun.run("", "migrate", "fill-gaps", "greetings", "--url", url);
        assertThat(fill.code()).as(fill.toString()).isZero();
        assertThat(fill.out()).isEqualTo("topic greetings: filled 2 missing id(s) with stubs\n");
        assertThat(db.getCollection("greetings").find(new Document("_id", 3)).first())
                .containsEntry("compacted", true).containsEntry("shardingKey", "");

        CliRun again = CliRun.run("", "migrate", "inspect", "--url", url);
        assertThat(again.lines()).contains("topic greetings: 6 document(s), ids 1..6 {double=1, int32=3, int64=2},"
                + " prototype-shaped 3, BinData payloads 0, stubs 2, undecodable 1").noneMatch(l -> l.contains("missing"));
    }

    @Test
    @DisplayName("migrate on a backend other than mongoredis says which URL it needs")
    void needsMongoRedis() {
        CliRun run = CliRun.run("", "migrate", "inspect", "--url", "memory:");
        assertThat(run.code()).isNotZero();
        assertThat(run.err()).contains("needs a mongoredis: backend").contains("--url mongoredis://");
    }
}
