package io.streamable.examples.readme;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user's first hour, as a test: a fresh Maven project whose pom holds only the README's
 * dependency block resolves, and the README's API example, compiled against exactly that class
 * path (not this module's), prints what the README says it prints.
 *
 * <p>The reactor's jars are put in the local repository with {@code install:install-file} from
 * the {@code target} folders this build already filled, not rebuilt, so the running build's jars
 * are never rewritten under it.
 */
@DisplayName("A fresh project with only the README's dependency block runs the README's example")
class ReadmeFreshProjectTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String VERSION = "0.1.0-SNAPSHOT";
    /** What the dependency block needs in the local repository: the parent, the BOM and the starter's tree. */
    private static final List<String> MODULES = List.of("streamable-api", "streamable-core", "backend-inmemory",
            "streamable-starter");

    @TempDir
    Path project;

    @Test
    @DisplayName("the README's dependency block and API example, in a project of their own")
    void readmeExampleRunsInAFreshProject() throws Exception {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        String block = dependencyBlock(String.join("\n", readme));
        ReadmeSnippet example = ReadmeSnippet.parse(Path.of("README.md"), readme).stream()
                .filter(snippet -> snippet.code().contains("Streamable.open(\"memory:\")")).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no API example opening memory:"));
        assertThat(example.expectedOutput()).as("the README says what its API example prints").isPresent();

        installReactorArtifacts();
        Files.writeString(project.resolve("pom.xml"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>com.example</groupId>
                  <artifactId>fresh</artifactId>
                  <version>1</version>
                """ + block + "\n</project>\n");
        Path classpathFile = project.resolve("classpath.txt");
        maven(project, "-f", project.resolve("pom.xml").toString(),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
                "-Dmdep.outputFile=" + classpathFile);
        String classpath = Files.readString(classpathFile).strip();
        assertThat(classpath).contains("streamable-core").contains("backend-inmemory")
                .doesNotContain("backend-kafka").doesNotContain("backend-mongoredis");

        Path classes = Files.createDirectories(project.resolve("classes"));
        Path source = project.resolve("ReadmeExample.java");
        // only the packages the starter brings: a snippet needing more would not compile for a new user either
        Files.writeString(source, example.toCompilationUnit("ReadmeExample", List.of("io.streamable.*",
                "io.streamable.client.*", "io.streamable.consume.*", "io.streamable.produce.*", "java.time.*",
                "java.util.*", "java.util.concurrent.*")));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int compiled = compiler.run(null, null, null, "-classpath", classpath, "-d", classes.toString(),
                "-proc:none", source.toString());
        assertThat(compiled).as("the README example compiles against the fresh project's class path alone").isZero();

        Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classes + File.pathSeparator + classpath, "ReadmeExample")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String printed = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("the example ends by itself").isTrue();
        assertThat(run.exitValue()).as("the example's exit code").isZero();
        assertThat(printed.lines().map(String::strip).filter(line -> !line.isEmpty()).toList())
                .isEqualTo(example.expectedOutput().get());
    }

    /** The README's {@code ```xml} block: a dependencyManagement and a dependencies element. */
    private static String dependencyBlock(String readme) {
        Matcher xml = Pattern.compile("```xml\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(xml.find()).as("README.md has a ```xml dependency block").isTrue();
        String block = xml.group(1);
        assertThat(block).contains("<dependencyManagement>").contains("<dependencies>");
        return block;
    }

    private void installReactorArtifacts() throws IOException, InterruptedException {
        installFile(ROOT.resolve("pom.xml"), ROOT.resolve("pom.xml"), "pom");
        installFile(ROOT.resolve("streamable-bom/pom.xml"), ROOT.resolve("streamable-bom/pom.xml"), "pom");
        for (String module : MODULES) {
            Path jar = ROOT.resolve(module).resolve("target").resolve(module + "-" + VERSION + ".jar");
            assertThat(jar).as("built by this reactor before the examples").exists();
            installFile(jar, ROOT.resolve(module).resolve("pom.xml"), "jar");
        }
    }

    private void installFile(Path file, Path pom, String packaging) throws IOException, InterruptedException {
        maven(project, "org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file", "-Dfile=" + file, "-DpomFile=" + pom, "-Dpackaging=" + packaging);
    }

    private static void maven(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(mavenExecutable(), "-B", "-q", "-o", "-ntp"));
        command.addAll(List.of(arguments));
        Path log = Files.createTempFile("fresh-project-maven", ".log");
        Process maven = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        assertThat(maven.waitFor(5, TimeUnit.MINUTES)).as("mvn %s finishes", String.join(" ", arguments)).isTrue();
        assertThat(maven.exitValue()).as("mvn %s\n%s", String.join(" ", arguments), Files.readString(log)).isZero();
    }

    private static String mavenExecutable() {
        // the Maven running this build, when it says where it lives; else the one on the PATH
        String home = System.getProperty("maven.home");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "mvn"))) {
            return Path.of(home, "bin", "mvn").toString();
        }
        return "mvn";
    }
}
