package io.streamable.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs several commands, one per line, over one backend connection. Needed for {@code memory:},
 * whose data lives only as long as the process, and handy for scripts. Lines are split at spaces;
 * single or double quotes keep a JSON payload with spaces together; {@code #} starts a comment.
 * Stops at the first command that fails and returns its exit code.
 */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Run commands, one per line, from FILE or stdin, over one connection.",
            "Example line: produce greetings -k phil '{\"name\": \"phil\"}'"})
final class ExecCommand implements Callable<Integer> {

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "0..1", description = "The script; default: standard input.")
    Path file;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        cli.session.script(); // its commands share this process on purpose: no memory: warning
        try (InputStream in = file == null ? cli.stdin : Files.newInputStream(file)) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                List<String> words = split(line, number);
                if (words.isEmpty()) {
                    continue;
                }
                List<String> args = new ArrayList<>();
                if (cli.url != null) {
                    args.add("--url");
                    args.add(cli.url);
                }
                args.addAll(words);
                // commands inside a script read no stdin: it may be the script itself
                int code = StreamableCli.execute(cli.session, args.toArray(String[]::new),
                        InputStream.nullInputStream(), out, err);
                if (code != 0) {
                    err.println(Messages.prefix(spec) + "line " + number + " failed with exit code " + code + ": " + line);
                    err.flush();
                    return code;
                }
            }
        }
        return 0;
    }

    static List<String> split(String line, int number) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '#' && !inWord) {
                break;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new UsageException("exec line " + number + " has an unclosed " + quote + " quote: " + line);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
