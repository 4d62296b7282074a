package io.streamable.state.redis;

import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.UUID;

/**
 * The Redis the tests talk to: {@code STREAMABLE_TEST_REDIS_URI} if set, else a real
 * {@code redis-server} process (the binary bundled in embedded-redis, else one on the PATH)
 * started once per test JVM on a free loopback port, without persistence.
 */
final class RedisTestServer {
    static final String URI_VARIABLE = "STREAMABLE_TEST_REDIS_URI";

    private static String baseUri;

    private RedisTestServer() {
    }

    /** A state URL with a key prefix of its own, so tests never see each other's stores. */
    static synchronized String stateUrl(String testName) {
        if (baseUri == null) {
            baseUri = start();
        }
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8) + ":" + testName + ":";
        return baseUri + (baseUri.contains("?") ? "&" : "?") + RedisStateStoreProvider.KEY_PREFIX_OPTION + "=" + prefix;
    }

    private static String start() {
        String external = System.getenv(URI_VARIABLE);
        if (external != null && !external.isBlank()) {
            return external.trim();
        }
        int port = freePort();
        try {
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("appendonly no")
                    .executableProvider(executable()).build();
            server.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.stop();
                } catch (IOException e) {
                    // the JVM is exiting; the process dies with it
                }
            }, "redis-test-server-stop"));
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start redis-server on port " + port, e);
        }
        return "redis://127.0.0.1:" + port;
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
                // fall back to a redis-server on the PATH
            }
            return ExecutableProvider.newExecutableInPath("redis-server").get();
        };
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
