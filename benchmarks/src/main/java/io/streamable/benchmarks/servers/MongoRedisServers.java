package io.streamable.benchmarks.servers;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.streamable.benchmarks.harness.Settings;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Optional;

/**
 * A MongoDB and a Redis for the mongoredis and state scenarios: the servers named by
 * {@code --mongo-uri}/{@code --redis-uri} (or the tests' environment variables), else the embedded
 * ones the tests use: mongo-java-server in this JVM, spoken to over TCP by the real driver, and
 * the redis-server binary shipped in embedded-redis, as a child process.
 */
public final class MongoRedisServers implements AutoCloseable {
    private final MongoServer mongoServer;
    private final RedisServer redisServer;
    private final String mongoUri;
    private final String redisUri;
    private boolean closed;

    private MongoRedisServers(MongoServer mongoServer, RedisServer redisServer, String mongoUri, String redisUri) {
        this.mongoServer = mongoServer;
        this.redisServer = redisServer;
        this.mongoUri = mongoUri;
        this.redisUri = redisUri;
    }

    /** Starts whatever the settings do not name; {@code withRedis} false skips Redis entirely. */
    public static MongoRedisServers start(Settings.Servers servers, boolean withRedis) throws IOException {
        MongoServer mongoServer = null;
        RedisServer redisServer = null;
        try {
            String mongo = servers.mongoUri().orElse(null);
            if (mongo == null) {
                mongoServer = new MongoServer(new MemoryBackend());
                mongoServer.bind("127.0.0.1", 0);
                InetSocketAddress address = mongoServer.getLocalAddress();
                mongo = "mongodb://127.0.0.1:" + address.getPort();
            }
            String redis = null;
            if (withRedis) {
                redis = servers.redisUri().orElse(null);
                if (redis == null) {
                    int port = freePort();
                    redisServer = RedisServer.newRedisServer()
                            .bind("127.0.0.1")
                            .port(port)
                            .setting("save \"\"")
                            .setting("appendonly no")
                            .build();
                    redisServer.start();
                    redis = "redis://127.0.0.1:" + port;
                }
            }
            return new MongoRedisServers(mongoServer, redisServer, mongo, redis);
        } catch (IOException | RuntimeException e) {
            if (redisServer != null) {
                redisServer.stop();
            }
            if (mongoServer != null) {
                mongoServer.shutdownNow();
            }
            throw e;
        }
    }

    /** The MongoDB connection string, without a database. */
    public String mongoUri() {
        return mongoUri;
    }

    /** The Redis URI, if Redis was asked for. */
    public Optional<String> redisUri() {
        return Optional.ofNullable(redisUri);
    }

    /** Whether MongoDB is the embedded mongo-java-server, whose timings are not MongoDB's. */
    public boolean embeddedMongo() {
        return mongoServer != null;
    }

    /**
     * The {@code mongoredis:} URL of database {@code database} on these servers; {@code redis=none}
     * when Redis was not started or {@code withSignals} is false.
     */
    public String backendUrl(String database, boolean withSignals) {
        URI mongo = URI.create(mongoUri);
        String authority = mongo.getRawAuthority();
        String redis = withSignals && redisUri != null ? redisUri : "none";
        return "mongoredis://" + authority + "/" + database + "?redis=" + redis;
    }

    /**
     * {@link #backendUrl(String, boolean)} with more URL options, such as {@code payloads=binary}.
     *
     * @param options {@code key=value} pairs joined by {@code &}
     */
    public String backendUrl(String database, boolean withSignals, String options) {
        return backendUrl(database, withSignals) + "&" + options;
    }

    /**
     * The backend URL with a Redis that is down: a loopback port nothing listens on, so every
     * signal is lost and consumers rely on the safety poll.
     */
    public String backendUrlWithRedisDown(String database) {
        URI mongo = URI.create(mongoUri);
        try {
            return "mongoredis://" + mongo.getRawAuthority() + "/" + database + "?redis=redis://127.0.0.1:" + freePort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Could not find a free port to stand for a Redis that is down", e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (redisServer != null) {
                redisServer.stop();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not stop the embedded redis-server", e);
        } finally {
            if (mongoServer != null) {
                mongoServer.shutdownNow();
            }
        }
    }
}
