package io.streamable.examples.readme;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code ```java} block of a README, and the output the README says it prints (a
 * {@code ```text} block right after a line "It prints:"), if any.
 *
 * <p>A snippet is written for readers, not for a compiler: it may mix type declarations
 * ({@code record Greeting(...) {}}) with the statements that use them, and it leaves out imports.
 * {@link #toCompilationUnit} turns it into a class: its declarations become nested types, its
 * statements the body of {@code main}, and every package of the public API is imported.
 *
 * @param file           the README it comes from
 * @param line           the line of its opening fence, 1-based
 * @param code           the snippet, indentation of its fence removed
 * @param expectedOutput what the README says it prints, line by line
 */
record ReadmeSnippet(Path file, int line, String code, Optional<List<String>> expectedOutput) {

    private static final Pattern DECLARATION = Pattern.compile(
            "^(@\\w+(\\(.*\\))?\\s*)*((public|static|final|abstract|sealed|non-sealed)\\s+)*(record|class|interface|enum)\\s+\\w+.*");

    private static final Pattern ANNOTATION = Pattern.compile("^@\\w+(\\(.*\\))?\\s*$");

    private static final List<String> IMPORTS = List.of(
            "io.streamable.*", "io.streamable.client.*", "io.streamable.consume.*", "io.streamable.produce.*",
            "io.streamable.schema.*", "io.streamable.state.*", "io.streamable.state.processor.*",
            "io.streamable.tck.*", "io.streamable.guice.*", "io.streamable.micrometer.*", "io.streamable.junit.*",
            "com.google.inject.*", "io.opentelemetry.api.*", "io.streamable.opentelemetry.*", "io.micrometer.core.instrument.*", "io.micrometer.core.instrument.simple.*",
            "java.time.*", "java.util.*", "java.util.concurrent.*");

    /** Every java block of a README's text. */
    static List<ReadmeSnippet> parse(Path file, List<String> lines) {
        List<ReadmeSnippet> snippets = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String opening = lines.get(i);
            if (!opening.strip().equals("```java")) {
                continue;
            }
            int indent = opening.indexOf('`');
            StringBuilder code = new StringBuilder();
            int j = i + 1;
            while (j < lines.size() && !lines.get(j).strip().equals("```")) {
                String line = lines.get(j);
                code.append(line.length() >= indent && line.substring(0, indent).isBlank() ? line.substring(indent) : line.strip())
                        .append('\n');
                j++;
            }
            snippets.add(new ReadmeSnippet(file, i + 1, code.toString(), expectedOutput(lines, j + 1)));
            i = j;
        }
        return snippets;
    }

    private static Optional<List<String>> expectedOutput(List<String> lines, int from) {
        int i = from;
        while (i < lines.size() && lines.get(i).isBlank()) {
            i++;
        }
        if (i >= lines.size() || !lines.get(i).strip().equals("It prints:")) {
            return Optional.empty();
        }
        i++;
        while (i < lines.size() && lines.get(i).isBlank()) {
            i++;
        }
        if (i >= lines.size() || !lines.get(i).strip().equals("```text")) {
            throw new IllegalStateException("\"It prints:\" at line " + i + " of a README must be followed by a ```text block");
        }
        List<String> output = new ArrayList<>();
        for (i++; i < lines.size() && !lines.get(i).strip().equals("```"); i++) {
            output.add(lines.get(i).strip());
        }
        return Optional.of(output);
    }

    /**
     * Whether the snippet has statements to run, not only declarations. A snippet that needs a
     * server the build does not start says so in its first line, {@code // compile only: ...},
     * and is compiled, not run.
     */
    boolean runnable() {
        return !code.startsWith("// compile only") && !split().statements().isBlank();
    }

    /** The snippet as a compilable class named {@code className}. */
    String toCompilationUnit(String className) {
        Parts parts = split();
        StringBuilder unit = new StringBuilder();
        IMPORTS.forEach(imported -> unit.append("import ").append(imported).append(";\n"));
        parts.imports().forEach(imported -> unit.append(imported).append('\n'));
        unit.append("@SuppressWarnings(\"all\")\npublic class ").append(className).append(" {\n");
        unit.append(parts.declarations());
        unit.append("public static void main(String[] args) throws Exception {\n").append(parts.statements()).append("}\n}\n");
        return unit.toString();
    }

    private record Parts(List<String> imports, String declarations, String statements) {
    }

    /** Top-level declarations (brace-balanced, starting at column 0) apart from the statements. */
    private Parts split() {
        List<String> imports = new ArrayList<>();
        StringBuilder declarations = new StringBuilder();
        StringBuilder statements = new StringBuilder();
        String[] lines = code.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("import ")) {
                imports.add(line);
            } else if (ANNOTATION.matcher(line).matches() && i + 1 < lines.length) {
                // an annotation on its own line belongs to the declaration below it
                lines[i + 1] = line + " " + lines[i + 1];
            } else if (DECLARATION.matcher(line).matches()) {
                int depth = 0;
                boolean opened = false;
                int j = i;
                for (; j < lines.length; j++) {
                    declarations.append(j == i ? "static " : "").append(lines[j]).append('\n');
                    depth += braces(lines[j]);
                    opened |= lines[j].contains("{");
                    if (opened && depth == 0) {
                        break;
                    }
                }
                i = j;
            } else {
                statements.append(line).append('\n');
            }
        }
        return new Parts(imports, declarations.toString(), statements.toString());
    }

    private static int braces(String line) {
        Matcher strings = Pattern.compile("\"(\\\\.|[^\"\\\\])*\"").matcher(line);
        String code = strings.replaceAll("\"\"");
        int comment = code.indexOf("//");
        if (comment >= 0) {
            code = code.substring(0, comment);
        }
        return (int) (code.chars().filter(c -> c == '{').count() - code.chars().filter(c -> c == '}').count());
    }

    @Override
    public String toString() {
        return file + " line " + line;
    }
}
