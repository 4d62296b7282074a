package io.streamable.faults;

import redis.embedded.core.ExecutableProvider;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * A real {@code redis-server} process (the binary shipped in {@code embedded-redis}) on a fixed
 * loopback port, without persistence: it only carries wake-up signals. {@link #kill9()} and
 * {@link #start()} again on the same port.
 */
final class RedisProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(30);

    private final int port;
    private final Path log;
    private final File executable;
    private Child process;
    private int starts;

    RedisProcess(int port, Path log) {
        this.port = port;
        this.log = log;
        try {
            File bundled = ExecutableProvider.newJarResourceProvider().get();
            if (!bundled.canExecute() && !bundled.setExecutable(true)) {
                throw new IllegalStateException("The redis-server from embedded-redis at " + bundled + " is not executable");
            }
            this.executable = bundled;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not unpack redis-server from embedded-redis", e);
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        starts++;
        process = Child.program("redis-server#" + starts, log, List.of(executable.getAbsolutePath(),
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"));
        await("redis-server on port " + port + " to answer PING (log " + log + ")").atMost(READY)
                .pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .failFast("redis-server exited (log " + log + ")", () -> !process.isAlive())
                .until(this::pong);
    }

    synchronized void kill9() {
        if (process != null) {
            process.kill9();
        }
    }

    private boolean pong() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[7];
            int read = in.readNBytes(answer, 0, answer.length);
            return new String(answer, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        }
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }
}
