package io.streamable.cli;

import io.streamable.StreamableException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * The {@code streamable} command-line tool. Every command works on any backend whose module is in
 * the jar, chosen by {@code --url} or, without it, the way {@code Streamable.open()} chooses:
 * {@code STREAMABLE_URL}, then {@code -Dstreamable.url}, then {@code streamable.properties}, then
 * {@code memory:}.
 *
 * <p>Standard output carries data only (JSON lines, payloads, templated text, or topic names one
 * per line), so it can be piped; progress, warnings and errors go to standard error, in the shapes
 * {@link Messages} gives them. {@code --url} and {@code --verbose} are inherited: they may come
 * before or after the command name. Exit codes: 0 success, 1 a failure at run time the message
 * explains, 2 a usage error (picocli's parse errors and {@link UsageException}s), 3 a command the
 * backend cannot perform.
 */
@Command(name = "streamable", mixinStandardHelpOptions = true, version = "streamable 0.1.0-SNAPSHOT",
        description = "Produce, tail and inspect Streamable Topic topics on any backend.",
        subcommands = {ProduceCommand.class, TailCommand.class, TopicsCommand.class, ConsumersCommand.class,
            CompactCommand.class, MigrateCommand.class, ExecCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Backend URL examples: memory:, memory:NAME, kafka://localhost:9092,",
            "  mongoredis://localhost:27017/db?redis=redis://localhost:6379"})
public final class StreamableCli implements Callable<Integer> {
    /** Exit code of a command the backend cannot carry out. */
    static final int UNSUPPORTED = 3;

    /** Exit code of a usage error: the command line must change (picocli's own, for every command). */
    static final int USAGE = 2;

    // inherited: accepted before or after the command name; picocli sets these fields of this object either way
    @Option(names = {"-u", "--url"}, paramLabel = "URL", scope = CommandLine.ScopeType.INHERIT,
            description = "Backend URL; default: STREAMABLE_URL, -Dstreamable.url, streamable.properties, memory:")
    String url;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final Session session;
    final InputStream stdin;

    StreamableCli(Session session, InputStream stdin) {
        this.session = session;
        this.stdin = stdin;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Name a command, for example: topics");
    }

    /**
     * This run's backend connection, opened on first use. Warns once on stderr when it is
     * {@code memory:} outside {@code exec}, since nothing written there outlives the process.
     */
    io.streamable.client.Streamable streamable(CommandLine.Model.CommandSpec command) {
        boolean first = !session.isOpen();
        io.streamable.client.Streamable streamable = session.streamable(url);
        if (first && !session.isScript() && Session.scheme(streamable).equals("memory")) {
            Messages.warn(command, streamable.backend().describe() + " keeps topics only as long as this process runs,"
                    + " so the next streamable command starts empty. Run several commands in one process with"
                    + " 'streamable exec', or use a server backend (--url kafka://HOST:9092 or mongoredis://...).");
        }
        return streamable;
    }

    /** Checks a TOPIC argument; a bad name is a usage error, with the naming rule. */
    static String topicName(String topic) {
        try {
            return io.streamable.TopicName.requireValid(topic);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /** Runs the tool and exits with its exit code. */
    public static void main(String[] args) {
        int code = run(args, System.in, System.out, System.err);
        System.exit(code);
    }

    /** Runs the tool as {@link #main} would, without exiting; for tests and embedding. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        PrintWriter outWriter = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), false);
        PrintWriter errWriter = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        try (Session session = new Session()) {
            return execute(session, args, in, outWriter, errWriter);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    /** Runs one command line on a session, which {@code exec} shares between lines. */
    static int execute(Session session, String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        StreamableCli top = new StreamableCli(session, in);
        CommandLine commandLine = new CommandLine(top);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.registerConverter(java.time.Duration.class, new DurationConverter());
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine line = exception.getCommandLine();
            PrintWriter errors = line.getErr();
            errors.println(Messages.prefix(line.getCommandSpec()) + exception.getMessage());
            if (line.getCommandSpec() == commandLine.getCommandSpec() && line.getParseResult() != null
                    && !line.getParseResult().hasSubcommand()) {
                line.usage(errors); // no command at all: the list of commands is the help wanted
            } else {
                errors.println("Run '" + line.getCommandSpec().qualifiedName() + " --help' for its options.");
            }
            if (top.verbose) {
                exception.printStackTrace(errors);
            }
            errors.flush();
            return USAGE;
        });
        commandLine.setExecutionExceptionHandler((exception, line, parsed) -> {
            PrintWriter errors = line.getErr();
            errors.println(Messages.prefix(line.getCommandSpec()) + describe(exception));
            boolean usage = exception instanceof UsageException;
            if (usage) {
                errors.println("Run '" + line.getCommandSpec().qualifiedName() + " --help' for its options.");
            }
            if (top.verbose) {
                exception.printStackTrace(errors);
            }
            errors.flush();
            return usage ? USAGE : 1;
        });
        int code = commandLine.execute(args);
        out.flush();
        return code;
    }

    private static String describe(Exception exception) {
        Throwable shown = exception;
        // unwrap plumbing, keep our own messages whole
        while (!(shown instanceof StreamableException) && !(shown instanceof IllegalArgumentException)
                && !(shown instanceof IllegalStateException) && shown.getCause() != null) {
            shown = shown.getCause();
        }
        boolean ours = shown instanceof StreamableException || shown instanceof IllegalArgumentException
                || shown instanceof IllegalStateException;
        String message = shown.getMessage();
        // our messages are written for users; anything else needs its type to make sense ("NoSuchFileException: x")
        return ours && message != null ? message : shown.toString();
    }
}
