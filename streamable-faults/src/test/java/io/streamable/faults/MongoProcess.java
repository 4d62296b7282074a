package io.streamable.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * mongo-java-server with its H2 backend in a child JVM ({@link MongoServerMain}) on a fixed
 * loopback port, keeping its data in one H2 file across {@link #restart() restarts}.
 */
final class MongoProcess implements AutoCloseable {
    private static final Duration READY = Duration.ofSeconds(60);

    private final int port;
    private final Path h2File;
    private final Path log;
    private Child process;
    private int starts;

    MongoProcess(int port, Path h2File, Path log) {
        this.port = port;
        this.h2File = h2File;
        this.log = log;
    }

    String uri() {
        return "mongodb://127.0.0.1:" + port;
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        starts++;
        process = Child.java("mongo-java-server#" + starts, log, "256m", MongoServerMain.class,
                List.of(Integer.toString(port), h2File.toString()));
        process.awaitLine("listening", READY);
    }

    /** Shuts the server down cleanly (the H2 file is complete) and starts it again on the same port. */
    synchronized void stop() {
        if (process != null && process.isAlive()) {
            int exit = process.stop(Duration.ofSeconds(60));
            if (exit != 0) {
                throw new AssertionError("mongo-java-server exited with " + exit + " on shutdown; log " + log);
            }
        }
    }

    synchronized void restart() {
        stop();
        start();
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            process.close();
        }
    }
}
