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
 * started once per test JVM on a free loopback port, with AOF on (the state store refuses a
 * server without it) in a temporary directory.
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
        RedisServer server = startServer(true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (IOException e) {
                // the JVM is exiting; the process dies with it
            }
        }, "redis-test-server-stop"));
        return "redis://127.0.0.1:" + server.ports().get(0);
    }

    /**
     * A redis-server of a test's own on a free loopback port, with AOF ({@code appendfsync
     * everysec}) or without any persistence; the caller stops it.
     */
    static RedisServer startServer(boolean appendOnly) {
        int port = freePort();
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("streamable-redis-");
            dir.toFile().deleteOnExit();
            RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
                    .setting("save \"\"").setting("dir " + dir)
                    .setting(appendOnly ? "appendonly yes" : "appendonly no").setting("appendfsync everysec")
                    .executableProvider(executable()).build();
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start redis-server on port " + port, e);
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
