package io.streamable.benchmarks.mongoredis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.servers.MongoRedisServers;
import io.streamable.client.Streamable;
import org.bson.Document;
import org.bson.types.Binary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Date;
import java.util.Optional;

/**
 * What the mongoredis scenarios share: the servers, a raw driver client for the baseline, the
 * payloads, and the document a raw client writes for one message, shaped like the backend's.
 */
abstract class MongoRedisScenario implements Scenario {
    static final String DATABASE = "bench";

    Settings settings;
    MongoRedisServers servers;
    MongoClient rawClient;
    MongoDatabase rawDatabase;
    Payloads payloads;
    ObjectWriter writer;
    ObjectReader reader;

    @Override
    public Optional<String> topicBackend() {
        return Optional.of("mongoredis");
    }

    /** Whether this scenario needs Redis. */
    boolean needsRedis() {
        return true;
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        this.settings = settings;
        this.servers = MongoRedisServers.start(settings.servers(), needsRedis());
        this.rawClient = MongoClients.create(servers.mongoUri());
        this.rawDatabase = rawClient.getDatabase(DATABASE);
        this.payloads = new Payloads(settings.payloadBytes());
        ObjectMapper mapper = new ObjectMapper();
        this.writer = mapper.writerFor(BenchPayload.class);
        this.reader = mapper.readerFor(BenchPayload.class);
        if (servers.embeddedMongo()) {
            System.out.println("note: MongoDB is the embedded mongo-java-server (in this JVM); its range queries scan"
                    + " whole collections, so absolute figures are not MongoDB's");
        }
    }

    /**
     * The framework's connection, storing payloads as BinData like {@link #rawDocument}: the
     * baseline writes the same bytes, so the ratio is the framework's own cost. What storing them
     * as embedded documents ({@code payloads=bson}, the backend's default) costs is measured
     * against a raw client doing the same by {@code mongoredis-*-bson*} ({@link MongoRedisPayloadFormat}).
     */
    Streamable openStreamable(boolean withSignals) {
        return Streamable.open(servers.backendUrl(DATABASE, withSignals, "payloads=binary"));
    }

    static Topic<BenchPayload> topic(String name) {
        return Topic.of(name, BenchPayload.class);
    }

    MongoCollection<Document> raw(String collection) {
        return rawDatabase.getCollection(collection);
    }

    /** Drops a round's collection so the in-memory server does not grow round after round. */
    void drop(String collection) {
        rawDatabase.getCollection(collection).drop();
    }

    /**
     * The document a hand-written raw client would store for one message: the fields the backend
     * writes for a message without headers or compaction id.
     */
    Document rawDocument(long id, BenchPayload payload) {
        return new Document("_id", id)
                .append("shardingKey", payload.key())
                .append("payload", new Binary(encode(payload)))
                .append("createdAt", new Date());
    }

    byte[] encode(BenchPayload payload) {
        try {
            return writer.writeValueAsBytes(payload);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes the payload field of a stored document, whichever BSON type holds the JSON. */
    BenchPayload decode(Document document) {
        Object payload = document.get("payload");
        try {
            if (payload instanceof Binary binary) {
                return reader.readValue(binary.getData());
            }
            if (payload instanceof byte[] bytes) {
                return reader.readValue(bytes);
            }
            if (payload instanceof String json) {
                return reader.readValue(json);
            }
            if (payload instanceof Document embedded) {
                return reader.readValue(embedded.toJson());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("Cannot read the payload of " + document.toJson());
    }

    @Override
    public void close() {
        try {
            if (rawClient != null) {
                rawClient.close();
            }
        } finally {
            if (servers != null) {
                servers.close();
            }
        }
    }
}
