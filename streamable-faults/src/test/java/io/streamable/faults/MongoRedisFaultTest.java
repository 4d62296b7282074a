package io.streamable.faults;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;

/**
 * The fault suite on MongoRedis: mongo-java-server (H2 backend, data on disk) and a real
 * redis-server, each a process of its own on fixed loopback ports, plus redis-server killed with
 * {@code kill -9} and mongo-java-server restarted while producers and a consumer run.
 */
@DisplayName("fault suite: mongoredis with real processes")
class MongoRedisFaultTest extends FaultSuite {
    private MongoProcess mongo;
    private RedisProcess redis;

    @Override
    protected String backend() {
        return "mongoredis";
    }

    @BeforeAll
    void startServers() {
        Path directory = ROOT.resolve(backend()).toAbsolutePath();
        Scenario.deleteRecursively(directory);
        mongo = new MongoProcess(freePort(), directory.resolve("mongo.h2"), directory.resolve("mongo.log"));
        redis = new RedisProcess(freePort(), directory.resolve("redis.log"));
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopServers, "fault-suite-mongoredis-servers"));
        mongo.start();
        redis.start();
    }

    @AfterAll
    void stopServers() {
        if (mongo != null) {
            mongo.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected String url(String scenario) {
        // a database per scenario; short timeouts and a 2 s lease so outages and takeovers show quickly
        return "mongoredis://127.0.0.1:" + port(mongo.uri()) + "/faults_" + scenario.replace('-', '_')
                + "?redis=" + redis.uri() + "&serverSelectionTimeoutMS=1500&connectTimeoutMS=1500"
                + "&leaseTtl=2s&safetyPoll=1s";
    }

    @Test
    @Order(10)
    @DisplayName("redis-server killed with kill -9 and restarted: nothing lost or reordered")
    void killRedis() {
        serverFaults("kill-redis", settings.redisKills(), () -> {
            redis.kill9();
            downTime();
            redis.start();
        });
    }

    @Test
    @Order(11)
    @DisplayName("mongo-java-server restarted on its H2 file: nothing lost or reordered")
    void restartMongo() {
        serverFaults("restart-mongo", settings.mongoRestarts(), () -> {
            mongo.stop();
            downTime();
            mongo.start();
        });
    }

    private static String port(String uri) {
        return uri.substring(uri.lastIndexOf(':') + 1);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port", e);
        }
    }
}
