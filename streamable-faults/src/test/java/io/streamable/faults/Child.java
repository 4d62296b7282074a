package io.streamable.faults;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A child process of the suite: a JVM running one of this package's mains, or a server binary.
 * Standard error (and, for servers, standard output) goes to a log file under the scenario's
 * directory; a JVM child's standard output is its protocol ({@code ready}, {@code started}, ...),
 * collected line by line.
 */
final class Child implements AutoCloseable {
    private static final Duration EXIT_PATIENCE = Duration.ofSeconds(30);
    /** Small heaps and the C1 compiler only: children start faster and leave CPU to the others. */
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xshare:auto");

    private final String name;
    private final Path log;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private Thread reader;

    private Child(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code mainClass} in a JVM with the test class path. */
    static Child java(String name, Path log, String heap, Class<?> mainClass, List<String> arguments) {
        return java(name, log, heap, mainClass.getName(), arguments, true);
    }

    /**
     * Starts a JVM with the test class path.
     *
     * @param protocol whether its standard output is read as lines, else it goes to the log too
     */
    static Child java(String name, Path log, String heap, String mainClass, List<String> arguments, boolean protocol) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.add("-Xmx" + heap);
        command.addAll(JVM_OPTIONS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(arguments);
        return start(name, log, command, protocol);
    }

    /** Starts a program whose output only goes to the log. */
    static Child program(String name, Path log, List<String> command) {
        return start(name, log, command, false);
    }

    private static Child start(String name, Path log, List<String> command, boolean protocol) {
        try {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.redirectOutput(protocol ? ProcessBuilder.Redirect.PIPE : ProcessBuilder.Redirect.appendTo(log.toFile()));
            Child child = new Child(name, log, builder.start());
            if (protocol) {
                child.readOutput();
            } else {
                child.process.getOutputStream().close();
            }
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + ": " + String.join(" ", command), e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    private void readOutput() {
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process died: its output ends
            }
        }, "output-of-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Whether the child printed a line starting with {@code prefix}. */
    boolean said(String prefix) {
        return lines.stream().anyMatch(line -> line.startsWith(prefix));
    }

    /** The child's protocol lines so far. */
    List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * Waits until the child printed a line starting with {@code prefix}; fails at once if it exits
     * first, naming its log.
     */
    void awaitLine(String prefix, Duration timeout) {
        await("%s to print \"%s\" (log: %s)".formatted(name, prefix, log)).atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (said(prefix)) {
                        return true;
                    }
                    if (!process.isAlive()) {
                        // the reader may still be taking the last lines of the dead process
                        reader.join(Duration.ofSeconds(5).toMillis());
                        if (said(prefix)) {
                            return true;
                        }
                        throw new AssertionError(name + " exited with " + process.exitValue() + " before printing \""
                                + prefix + "\"; its output " + lines + ", its log " + log + ":\n" + tail());
                    }
                    return false;
                });
    }

    /** {@code kill -9}: no shutdown hook, no clean close, no last save. */
    void kill9() {
        process.destroyForcibly();
        awaitExit();
    }

    /** {@code kill -STOP}: the process freezes, heartbeats included. */
    void pause() {
        signal("STOP");
    }

    /** {@code kill -CONT}. */
    void resume() {
        signal("CONT");
    }

    /** {@code kill -TERM}. */
    void terminate() {
        process.destroy();
        awaitExit();
    }

    /** Asks for a clean stop by closing its standard input; kills it if it has not exited in time. */
    int stop(Duration timeout) {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not stop within " + timeout + " after its input closed; log "
                        + log + ":\n" + tail());
            }
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping " + name, e);
        }
    }

    /** Waits (bounded) for the child to exit on its own and returns its exit code. */
    int awaitExit() {
        try {
            if (!process.waitFor(EXIT_PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit within " + EXIT_PATIENCE);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for " + name, e);
        }
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " (" + name + ") failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while signalling " + name, e);
        }
    }

    /** The last lines of the child's log, for failure messages. */
    String tail() {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** Kills the child if it still runs (a paused one is killed too); idempotent. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(EXIT_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return name + "[pid " + process.pid() + "]";
    }
}
