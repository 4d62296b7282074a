package io.streamable.examples.secrets;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No secret in any output: a child JVM ({@link SecretsProbeMain}) opens every URL form that
 * carries a password, token, private key, JAAS config or user info, on every backend (and the
 * MongoDB and Redis state stores), against
 * closed ports, unreachable hosts ({@code .invalid}) and live servers, with every logger at
 * DEBUG; this test reads everything the child printed (logs, {@code toString()}s, exception
 * messages, cause chains, stack traces) and finds none of the secrets.
 *
 * <p>A child JVM, because slf4j-simple fixes its levels when it starts: so the logs really are
 * at DEBUG, whatever ran before in this JVM, and nothing the child prints escapes the capture.
 */
@DisplayName("No secret from a backend URL appears in logs at DEBUG, exception messages or toString()")
class SecretsLeakTest {
    private static final String[] LOGGERS_AT_DEBUG = {"io.streamable", "org.apache.kafka.clients",
        "org.apache.kafka.common", "org.mongodb.driver", "io.lettuce", "io.netty", "redis"};

    @Test
    @DisplayName("every URL form on every backend, closed ports, unreachable hosts and live servers")
    void noSecretAnywhere() throws Exception {
        Path output = Files.createTempFile("secrets-probe-", ".log");
        try {
            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command()
                    .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java"));
            command.add("-Xmx512m");
            command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=debug");
            command.add("-Dorg.slf4j.simpleLogger.logFile=System.out");
            for (String logger : LOGGERS_AT_DEBUG) {
                command.add("-Dorg.slf4j.simpleLogger.log." + logger + "=debug");
            }
            // the embedded broker's own internals at DEBUG would be megabytes of noise no client sees
            command.add("-Dorg.slf4j.simpleLogger.log.kafka=info");
            command.add("-Dorg.slf4j.simpleLogger.log.org.apache.kafka=info");
            command.add("-Dorg.slf4j.simpleLogger.log.de.bwaldvogel=debug");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(SecretsProbeMain.class.getName());
            Process child = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            boolean exited = child.waitFor(4, TimeUnit.MINUTES);
            if (!exited) {
                child.destroyForcibly();
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(exited).as("the probe finished in time; its output:%n%s", tail(text)).isTrue();
            assertThat(text).as("the probe ran every form").contains(SecretsProbeMain.DONE);

            // the capture works: DEBUG lines of the framework and of the clients are in it, and every form failed or opened
            assertThat(text).contains("DEBUG io.streamable.client.BackendRegistry - Opening kafka://",
                    "DEBUG io.streamable.client.BackendRegistry - Opening mongoredis://", "DEBUG org.mongodb.driver",
                    "DEBUG org.apache.kafka.clients");
            assertThat(text).contains("FAILED open", "OPENED ", "appended at ", ": state mongodb://", ": state redis://");
            int forms = Integer.parseInt(text.replaceAll("(?s).*forms tried: (\\d+).*", "$1"));
            assertThat(forms).isGreaterThan(25);

            List<String> leaks = text.lines().filter(line -> line.contains(SecretsProbeMain.MARKER)).toList();
            assertThat(leaks).as("lines of the probe's output (%d characters) that show a secret", text.length())
                    .isEmpty();
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static String tail(String text) {
        return text.length() <= 20_000 ? text : text.substring(text.length() - 20_000);
    }
}
