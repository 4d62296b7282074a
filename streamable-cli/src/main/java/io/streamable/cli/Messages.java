package io.streamable.cli;

import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;

/**
 * The one shape of every line the tool writes to stderr, so they read alike and can be grepped:
 * {@code streamable COMMAND: message} for errors, {@code streamable COMMAND: warning: message}
 * for warnings, and {@code streamable COMMAND TOPIC: N verb, lag L, at P} for progress.
 */
final class Messages {
    private Messages() {
    }

    /** {@code "streamable tail: "}: the command's full name, as typed. */
    static String prefix(CommandSpec command) {
        return command.qualifiedName() + ": ";
    }

    /** Prints a warning on the command's stderr. */
    static void warn(CommandSpec command, String message) {
        PrintWriter err = command.commandLine().getErr();
        err.println(prefix(command) + "warning: " + message);
        err.flush();
    }

    /**
     * A progress line: {@code streamable tail greetings: 1200 printed, lag 300, at 1199}. Lag and
     * position are left out when unknown (negative lag, null position).
     */
    static void progress(CommandSpec command, String topic, long count, String verb, long lag, String position) {
        StringBuilder line = new StringBuilder(command.qualifiedName()).append(' ').append(topic).append(": ")
                .append(count).append(' ').append(verb);
        if (lag >= 0) {
            line.append(", lag ").append(lag);
        }
        if (position != null) {
            line.append(", at ").append(position);
        }
        PrintWriter err = command.commandLine().getErr();
        synchronized (err) {
            err.println(line);
            err.flush();
        }
    }
}
