package io.streamable.backend.mongoredis;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where tests (and benchmarks, through this module's test-jar) get MongoDB and Redis, in this order:
 * <ol>
 *   <li>an external server named by {@value #MONGO_ENV} ({@code mongodb://host:27017}) or
 *       {@value #REDIS_ENV} ({@code redis://host:6379});</li>
 *   <li>otherwise embedded servers started once per JVM: {@code de.bwaldvogel:mongo-java-server}
 *       (a MongoDB wire-protocol server in memory, spoken to by the real driver over TCP) and a
 *       real {@code redis-server} process (the binary bundled in
 *       {@code com.github.codemonstur:embedded-redis}, else one on the PATH).</li>
 * </ol>
 * Testcontainers is not wired in: there is no Docker daemon on the machines this was built on;
 * point the environment variables at containers to test against real MongoDB.
 *
 * <p>Fault tests need servers they may stop and restart: {@link #startMongo()} and
 * {@link #startRedis()} always start private embedded ones.
 */
public final class TestServers {
    /** Names an external MongoDB server, for example {@code mongodb://localhost:27017}. */
    public static final String MONGO_ENV = "STREAMABLE_TEST_MONGO_URI";
    /** Names an external Redis server, for example {@code redis://localhost:6379}. */
    public static final String REDIS_ENV = "STREAMABLE_TEST_REDIS_URI";

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static String sharedMongo;
    private static String sharedRedis;

    private TestServers() {
    }

    /** The shared MongoDB server's URI, {@code mongodb://host:port[?options]}. */
    public static synchronized String mongoUri() {
        if (sharedMongo == null) {
            sharedMongo = env(MONGO_ENV).orElseGet(() -> {
                EmbeddedMongo mongo = startMongo();
                Runtime.getRuntime().addShutdownHook(new Thread(mongo::close));
                return mongo.uri();
            });
        }
        return sharedMongo;
    }

    /** The shared Redis server's URI, {@code redis://host:port}. */
    public static synchronized String redisUri() {
        if (sharedRedis == null) {
            sharedRedis = env(REDIS_ENV).orElseGet(() -> {
                EmbeddedRedis redis = startRedis();
                Runtime.getRuntime().addShutdownHook(new Thread(redis::close));
                return redis.uri();
            });
        }
        return sharedRedis;
    }

    /** A {@code mongoredis:} URL on the shared servers, in a database of its own. */
    public static String url(String... options) {
        return urlFor(mongoUri(), redisUri(), freshDatabase(), options);
    }

    /** A database name no other test in this JVM uses. */
    public static String freshDatabase() {
        return "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    }

    /**
     * A {@code mongoredis:} URL from a MongoDB URI, a Redis URI (or {@code none}), a database and
     * extra {@code name=value} options. Short timeouts, so outages show quickly in tests.
     */
    public static String urlFor(String mongoUri, String redisUri, String database, String... options) {
        String rest = mongoUri.substring(mongoUri.indexOf("://") + 3);
        String query = "";
        int question = rest.indexOf('?');
        if (question >= 0) {
            query = rest.substring(question + 1);
            rest = rest.substring(0, question);
        }
        int slash = rest.indexOf('/');
        String hosts = slash < 0 ? rest : rest.substring(0, slash);
        List<String> all = new ArrayList<>();
        if (!query.isEmpty()) {
            all.add(query);
        }
        all.add("redis=" + redisUri);
        all.add("serverSelectionTimeoutMS=1500");
        all.add("connectTimeoutMS=1500");
        all.addAll(List.of(options));
        return "mongoredis://" + hosts + "/" + database + "?" + String.join("&", all);
    }

    /** Starts a private in-memory MongoDB server on a free port. */
    public static EmbeddedMongo startMongo() {
        return new EmbeddedMongo(freePort());
    }

    /** Starts a private redis-server process on a free port. */
    public static EmbeddedRedis startRedis() {
        return new EmbeddedRedis(freePort());
    }

    private static Optional<String> env(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A mongo-java-server that can be stopped and started again on the same port with its data
     * kept, the way a real server restarts.
     */
    public static final class EmbeddedMongo implements AutoCloseable {
        private final int port;
        private final AtomicLong duplicateKeyErrors = new AtomicLong();
        private KeptMemoryBackend backend = new KeptMemoryBackend(duplicateKeyErrors);
        private MongoServer server;

        EmbeddedMongo(int port) {
            this.port = port;
            start();
        }

        /** The port it listens on, the same after a restart. */
        public int port() {
            return port;
        }

        /**
         * How many inserted documents this server refused for a duplicate key, across restarts:
         * each is a producer that lost the race for the next id to another one.
         */
        public long duplicateKeyErrors() {
            return duplicateKeyErrors.get();
        }

        /** Its URI, {@code mongodb://127.0.0.1:<port>}. */
        public String uri() {
            return "mongodb://127.0.0.1:" + port;
        }

        /** Starts (again) on the same port. */
        public synchronized void start() {
            if (server == null) {
                MongoServer started = new MongoServer(backend);
                started.bind("127.0.0.1", port);
                server = started;
            }
        }

        /** Stops listening and drops every client connection; the data stays for {@link #start()}. */
        public synchronized void stop() {
            if (server != null) {
                server.shutdownNow();
                server = null;
            }
        }

        /** Restarts on the same port with every database gone, as a server whose disk was lost. */
        public synchronized void restartEmpty() {
            stop();
            backend.reallyClose();
            backend = new KeptMemoryBackend(duplicateKeyErrors);
            start();
        }

        @Override
        public synchronized void close() {
            stop();
            backend.reallyClose();
        }
    }

    /**
     * Keeps its databases when the server shuts down, so a restart finds them, and counts the
     * inserts it refuses for a duplicate key.
     */
    private static final class KeptMemoryBackend extends MemoryBackend {
        private static final int DUPLICATE_KEY = 11000;
        private final AtomicLong duplicateKeyErrors;

        KeptMemoryBackend(AtomicLong duplicateKeyErrors) {
            this.duplicateKeyErrors = duplicateKeyErrors;
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            try {
                Document response = super.handleCommand(channel, database, command, query);
                if ("insert".equalsIgnoreCase(command) && response.get("writeErrors") instanceof List<?> errors) {
                    errors.stream().filter(error -> error instanceof Document d && d.get("code") instanceof Number code
                            && code.intValue() == DUPLICATE_KEY).forEach(error -> duplicateKeyErrors.incrementAndGet());
                }
                return response;
            } catch (MongoServerError e) {
                if ("insert".equalsIgnoreCase(command) && e.getCode() == DUPLICATE_KEY) {
                    duplicateKeyErrors.incrementAndGet();
                }
                throw e;
            }
        }

        @Override
        public void close() {
            // a server restart must not drop the data; reallyClose() does
        }

        void reallyClose() {
            super.close();
        }
    }

    /** A real redis-server process, without persistence, that can be stopped and restarted on its port. */
    public static final class EmbeddedRedis implements AutoCloseable {
        private final int port;
        private final RedisServer server;

        EmbeddedRedis(int port) {
            this.port = port;
            this.server = create(port);
            start();
        }

        private static RedisServer create(int port) {
            try {
                return RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                        .setting("save \"\"").setting("appendonly no")
                        .executableProvider(executable()).build();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not prepare redis-server on port " + port, e);
            }
        }

        private static ExecutableProvider executable() {
            ExecutableProvider bundled = ExecutableProvider.newJarResourceProvider();
            return () -> {
                try {
                    File file = bundled.get();
                    if (file.canExecute() || file.setExecutable(true)) {
                        return file;
                    }
                } catch (IOException | RuntimeException e) {
                    // fall through to the PATH
                }
                return ExecutableProvider.newExecutableInPath("redis-server").get();
            };
        }

        /** The port it listens on, the same after a restart. */
        public int port() {
            return port;
        }

        /** Its URI, {@code redis://127.0.0.1:<port>}. */
        public String uri() {
            return "redis://127.0.0.1:" + port;
        }

        /** Starts the process (again) on the same port. */
        public void start() {
            try {
                if (!server.isActive()) {
                    server.start();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start redis-server on port " + port, e);
            }
        }

        /** Stops the process; clients see their connections drop. */
        public void stop() {
            try {
                if (server.isActive()) {
                    server.stop();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not stop redis-server on port " + port, e);
            }
        }

        @Override
        public void close() {
            stop();
        }
    }
}
