package io.streamable.state.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.net.InetSocketAddress;
import java.util.UUID;

/**
 * The MongoDB the tests talk to: {@code STREAMABLE_TEST_MONGO_URI} if set (a real server), else a
 * mongo-java-server wire-protocol server started once per test JVM on a random loopback port, so
 * the real driver runs over TCP either way.
 */
final class MongoTestServer {
    static final String URI_VARIABLE = "STREAMABLE_TEST_MONGO_URI";

    private static String baseUri;

    private MongoTestServer() {
    }

    /**
     * A state URL for one test's data: its own collection prefix, so tests never see each other's
     * stores, also on a shared external server.
     */
    static synchronized String stateUrl(String testName) {
        if (baseUri == null) {
            baseUri = start();
        }
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + "." + testName + ".";
        return baseUri + (baseUri.contains("?") ? "&" : "?") + MongoStateStoreProvider.COLLECTION_PREFIX_OPTION + "="
                + prefix;
    }

    private static String start() {
        String external = System.getenv(URI_VARIABLE);
        if (external != null && !external.isBlank()) {
            return external.trim();
        }
        MongoServer server = new MongoServer(new MemoryBackend());
        server.bind("127.0.0.1", 0);
        InetSocketAddress address = server.getLocalAddress();
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "mongo-test-server-stop"));
        return "mongodb://127.0.0.1:" + address.getPort() + "/streamable_state_test";
    }
}
