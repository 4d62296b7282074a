package io.streamable.junit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the extension on the oldest supported JUnit (5.10, managed by Spring Boot 3.2), which closes
 * only {@code CloseableResource} store values: a JVM of its own gets this build's test class path
 * with its JUnit jars swapped for the 5.10 ones the pom copies to {@code target/junit-oldest}, and
 * runs {@link OldestJunitLauncher}.
 */
@DisplayName("@StreamableTest on the oldest supported JUnit")
class StreamableExtensionOnOldestJunitTest {
    /** The build's own JUnit and its companions, replaced by the old ones. */
    private static final Pattern JUNIT_JAR = Pattern.compile(".*[/\\\\](junit-jupiter|junit-platform|opentest4j|apiguardian)[^/\\\\]*\\.jar");

    private static Path oldJars;
    private static String oldVersion;

    @TempDir
    Path dir;

    @BeforeAll
    static void findOldJars() {
        String path = System.getProperty("streamable.junit.oldest.dir");
        oldVersion = System.getProperty("streamable.junit.oldest.version");
        assertThat(path).as("system property streamable.junit.oldest.dir, set by surefire in the module's pom").isNotNull();
        oldJars = Paths.get(path);
        assertThat(oldJars).as("the old JUnit jars; maven-dependency-plugin copies them in process-test-resources")
                .isDirectory();
    }

    @Test
    @DisplayName("closes every injected connection after its test, on JUnit Jupiter 5.10")
    void closesOnJunit510() throws Exception {
        List<String> classPath = new ArrayList<>();
        try (Stream<Path> jars = Files.list(oldJars)) {
            jars.filter(jar -> jar.toString().endsWith(".jar")).map(Path::toString).sorted().forEach(classPath::add);
        }
        assertThat(classPath).hasSize(7);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!JUNIT_JAR.matcher(entry).matches()) {
                classPath.add(entry);
            }
        }
        assertThat(classPath).as("the test class path, its JUnit jars all old ones").anyMatch(entry -> entry.endsWith("test-classes"))
                .filteredOn(entry -> JUNIT_JAR.matcher(entry).matches()).hasSize(7)
                .allMatch(entry -> Paths.get(entry).startsWith(oldJars));

        Path out = Files.createTempFile(dir, "out", ".txt");
        Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(File.pathSeparator, classPath), OldestJunitLauncher.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the JUnit " + oldVersion + " run did not end within 120 s: " + read(out));
        }
        String printed = read(out);
        assertThat(process.exitValue()).as(printed).isZero();
        assertThat(printed).contains("junit-jupiter-engine " + oldVersion + ", junit-jupiter-api " + oldVersion)
                .contains("tests succeeded 2, failed 0")
                .contains("connections open during their test 2 of 2, closed after it 3 of 3")
                .contains("OK");
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
