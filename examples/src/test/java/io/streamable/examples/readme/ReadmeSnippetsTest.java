package io.streamable.examples.readme;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every Java snippet of the project's READMEs compiles against the built modules, runs when it
 * has statements, and prints what its README says it prints. A README that promises an
 * example works as written is a test.
 */
class ReadmeSnippetsTest {
    /** The reactor root: tests run in the examples module's folder. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path classes;

    @TestFactory
    Stream<DynamicTest> everySnippetCompilesRunsAndPrintsWhatItsReadmeSays() throws IOException {
        List<ReadmeSnippet> snippets = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT, 2)) {
            for (Path readme : files.filter(path -> path.getFileName().toString().equals("README.md"))
                    .filter(path -> !path.toString().contains("/target/")).sorted().toList()) {
                snippets.addAll(ReadmeSnippet.parse(ROOT.relativize(readme), Files.readAllLines(readme)));
            }
        }
        assertThat(snippets).as("Java snippets in the READMEs").isNotEmpty();
        return snippets.stream().map(snippet -> DynamicTest.dynamicTest(snippet.toString(), () -> check(snippet)));
    }

    private void check(ReadmeSnippet snippet) throws Exception {
        String className = "Snippet" + Math.abs((snippet.file() + ":" + snippet.line()).hashCode());
        Path source = classes.resolve(className + ".java");
        String unit = snippet.toCompilationUnit(className);
        Files.writeString(source, unit);
        compile(snippet, source, unit);
        if (!snippet.runnable()) {
            assertThat(snippet.expectedOutput()).as("%s declares only types, so it cannot print anything", snippet).isEmpty();
            return;
        }
        String printed = run(className);
        List<String> lines = printed.lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        snippet.expectedOutput().ifPresent(expected -> assertThat(lines)
                .as("what %s prints (its README says, after \"It prints:\")", snippet).isEqualTo(expected));
    }

    private void compile(ReadmeSnippet snippet, Path source, String unit) throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            boolean compiled = compiler.getTask(null, files, diagnostics,
                    List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString(), "-proc:none"),
                    null, files.getJavaFileObjects(source)).call();
            if (!compiled) {
                StringBuilder report = new StringBuilder("The snippet at " + snippet + " does not compile:\n");
                for (Diagnostic<? extends JavaFileObject> diagnostic : diagnostics.getDiagnostics()) {
                    report.append("  line ").append(diagnostic.getLineNumber()).append(": ")
                            .append(diagnostic.getMessage(null)).append('\n');
                }
                fail(report.append("as compiled:\n").append(unit).toString());
            }
        }
    }

    /** Runs the snippet's main and returns what it printed, from any thread, while it ran. */
    private String run(String className) throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (URLClassLoader loader = new URLClassLoader(new URL[]{classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Future<?> main = runner.submit(() -> {
                loader.loadClass(className).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
                return null;
            });
            try {
                main.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof InvocationTargetException target ? target.getCause() : e.getCause();
                throw new AssertionError("The snippet threw " + cause, cause);
            }
        } finally {
            System.setOut(original);
            runner.shutdownNow();
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
