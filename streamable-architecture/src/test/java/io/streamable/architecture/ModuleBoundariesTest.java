package io.streamable.architecture;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module boundaries, read from the built classes of every published module on this module's
 * test class path: no package is split across two modules, and a backend's classes refer to no
 * Streamable Topic class but the API's (the SPI) and their own, so none reaches into the engine
 * ({@code io.streamable.client}, the schema registry's engine) even by reflection-free accident.
 * The enforcer bans the dependency; this checks the code.
 */
class ModuleBoundariesTest {
    /**
     * The published modules with code, each a test dependency in this module's pom. Not here:
     * streamable-cli, whose jar is shaded (it holds every module's classes), and the examples and
     * benchmarks, which are applications of the library rather than parts of it.
     */
    private static final Set<String> MODULES = Set.of("streamable-api", "streamable-core", "shared-state",
            "shared-state-tck", "state-mongodb", "state-redis", "streamable-tck", "backend-inmemory", "backend-kafka",
            "backend-mongoredis", "streamable-junit", "streamable-guice", "streamable-micrometer",
            "streamable-opentelemetry");
    private static final String API = "streamable-api";
    private static final String OURS = "io/streamable/";
    /** A class named in a descriptor or signature: {@code Lio/streamable/client/Streamable;}. */
    private static final Pattern DESCRIBED = Pattern.compile("L(io/streamable/[\\w/$]+)[;<]");

    /** Module name, then each of its classes (internal name) with the Streamable Topic classes it refers to. */
    private static Map<String, Map<String, Set<String>>> modules;

    @BeforeAll
    static void readClassPath() throws IOException {
        modules = new TreeMap<>();
        // surefire runs tests through a manifest-only jar and passes the real class path in this property
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            Path path = Path.of(entry);
            String module = moduleOf(path);
            if (module != null && MODULES.contains(module)) {
                modules.put(module, classesOf(path));
            }
        }
    }

    @Test
    @DisplayName("every published module with code is on the class path, so no rule passes for want of classes")
    void everyModuleIsScanned() {
        assertThat(modules.keySet()).containsExactlyInAnyOrderElementsOf(MODULES);
        modules.forEach((module, classes) -> assertThat(classes).as(module + "'s classes").isNotEmpty());
    }

    @Test
    @DisplayName("no package is split across two modules")
    void noSplitPackages() {
        Map<String, Set<String>> modulesByPackage = new TreeMap<>();
        modules.forEach((module, classes) -> classes.keySet().forEach(type ->
                modulesByPackage.computeIfAbsent(packageOf(type), p -> new TreeSet<>()).add(module)));
        Map<String, Set<String>> split = new TreeMap<>();
        modulesByPackage.forEach((pkg, owners) -> {
            if (owners.size() > 1) {
                split.put(pkg.replace('/', '.'), owners);
            }
        });
        assertThat(split).as("packages in more than one module: give each module's classes a package of its own")
                .isEmpty();
    }

    @Test
    @DisplayName("a backend's classes refer to the API's classes and their own, never to streamable-core's or another module's")
    void backendsUseTheApiAlone() {
        Set<String> api = modules.get(API).keySet();
        List<String> backends = modules.keySet().stream().filter(module -> module.startsWith("backend-")).toList();
        assertThat(backends).containsExactlyInAnyOrder("backend-inmemory", "backend-kafka", "backend-mongoredis");
        List<String> violations = new ArrayList<>();
        for (String backend : backends) {
            Map<String, Set<String>> classes = modules.get(backend);
            classes.forEach((type, references) -> references.stream()
                    .filter(reference -> !api.contains(reference) && !classes.containsKey(reference))
                    .forEach(reference -> violations.add(backend + ": " + type.replace('/', '.') + " -> "
                            + reference.replace('/', '.') + " (" + ownerOf(reference) + ")")));
        }
        assertThat(violations).as("a backend implements the SPI in streamable-api; what it needs from elsewhere"
                + " belongs in the API").isEmpty();
    }

    @Test
    @DisplayName("the reference reader finds what a class refers to: the engine class a Streamable user calls")
    void readerSeesReferences() {
        // the check above is only as good as the reader: a core class must show its API references
        Set<String> builder = modules.get("streamable-core").get("io/streamable/client/StreamableBuilder");
        assertThat(builder).contains("io/streamable/backend/BackendUrl", "io/streamable/client/Streamable",
                "io/streamable/codec/PayloadCodecFactory");
    }

    private static String ownerOf(String type) {
        return modules.entrySet().stream().filter(e -> e.getValue().containsKey(type)).map(Map.Entry::getKey)
                .findFirst().orElse("not a published module's class");
    }

    private static String packageOf(String type) {
        int slash = type.lastIndexOf('/');
        return slash < 0 ? "" : type.substring(0, slash);
    }

    /** {@code <module>/target/classes} or a module's jar; null for test classes and other entries. */
    private static String moduleOf(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            boolean mainClasses = path.getFileName().toString().equals("classes") && path.getParent() != null
                    && path.getParent().getFileName().toString().equals("target");
            return mainClasses ? path.getParent().getParent().getFileName().toString() : null;
        }
        if (!path.toString().endsWith(".jar") || !Files.isRegularFile(path)) {
            return null;
        }
        try (JarFile jar = new JarFile(path.toFile())) {
            return jar.stream().map(JarEntry::getName)
                    .map(name -> Pattern.compile("META-INF/maven/io\\.streamable/([^/]+)/pom\\.properties").matcher(name))
                    .filter(Matcher::matches).map(m -> m.group(1)).findFirst()
                    .orElse(null);
        }
    }

    private static Map<String, Set<String>> classesOf(Path path) throws IOException {
        Map<String, Set<String>> classes = new TreeMap<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    add(classes, path.relativize(file).toString().replace(File.separatorChar, '/'),
                            Files.readAllBytes(file));
                }
            }
        } else {
            try (JarFile jar = new JarFile(path.toFile())) {
                for (JarEntry entry : jar.stream().filter(e -> e.getName().endsWith(".class")).toList()) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        add(classes, entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
        return classes;
    }

    private static void add(Map<String, Set<String>> classes, String file, byte[] bytes) {
        if (file.startsWith(OURS) && !file.endsWith("module-info.class")) {
            classes.put(file.substring(0, file.length() - ".class".length()), references(bytes));
        }
    }

    /**
     * The Streamable Topic classes a class file refers to: its constant pool's class entries and
     * the classes named in its descriptors and signatures (field types, parameters, generics).
     */
    static Set<String> references(byte[] classFile) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile))) {
            if (in.readInt() != 0xCAFEBABE) {
                throw new IllegalArgumentException("not a class file");
            }
            in.readUnsignedShort(); // minor version
            in.readUnsignedShort(); // major version
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            Set<Integer> classNames = new HashSet<>();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 7 -> classNames.add(in.readUnsignedShort());
                    case 8, 16, 19, 20 -> in.readUnsignedShort();
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 5, 6 -> {
                        in.readLong();
                        i++; // a long or double takes two entries
                    }
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    default -> throw new IllegalArgumentException("unknown constant pool tag " + tag);
                }
            }
            Set<String> references = new TreeSet<>();
            for (int index : classNames) {
                String name = utf8[index];
                // an array class entry is a descriptor: [Lio/streamable/...;
                if (name.startsWith(OURS)) {
                    references.add(outermost(name));
                }
            }
            for (String text : utf8) {
                if (text != null && text.contains("L" + OURS)) {
                    Matcher matcher = DESCRIBED.matcher(text);
                    while (matcher.find()) {
                        references.add(outermost(matcher.group(1)));
                    }
                }
            }
            return references;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Nested classes belong with their outermost class: {@code a/B$C} is counted as {@code a/B}. */
    private static String outermost(String type) {
        int dollar = type.indexOf('$', type.lastIndexOf('/') + 1);
        return dollar < 0 ? type : type.substring(0, dollar);
    }
}
