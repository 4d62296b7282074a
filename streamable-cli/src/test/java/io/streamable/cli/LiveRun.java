package io.streamable.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One in-process run of the tool on a separate thread, fed through a pipe the test writes to,
 * so a test can watch stdout and stderr while the input is still open.
 */
final class LiveRun {
    private final PipedOutputStream stdin = new PipedOutputStream();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final CompletableFuture<Integer> code = new CompletableFuture<>();

    private LiveRun() {
    }

    static LiveRun start(String... args) throws IOException {
        LiveRun run = new LiveRun();
        PipedInputStream in = new PipedInputStream(run.stdin, 1 << 16);
        Thread thread = new Thread(() -> {
            try {
                run.code.complete(StreamableCli.run(args, in, new PrintStream(run.out, true, StandardCharsets.UTF_8),
                        new PrintStream(run.err, true, StandardCharsets.UTF_8)));
            } catch (Throwable t) {
                run.code.completeExceptionally(t);
            }
        }, "live-run");
        thread.setDaemon(true);
        thread.start();
        return run;
    }

    /** Writes one line to the tool's stdin and flushes it, leaving stdin open. */
    void line(String text) throws IOException {
        OutputStream pipe = stdin;
        pipe.write((text + "\n").getBytes(StandardCharsets.UTF_8));
        pipe.flush();
    }

    void closeStdin() throws IOException {
        stdin.close();
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    CompletableFuture<Integer> exitCode() {
        return code;
    }
}
