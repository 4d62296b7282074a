package io.streamable.client;

import io.streamable.backend.BackendUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Finds the plug-in for a URL's scheme, the way SLF4J finds its provider: a provider class named
 * by a system property first, else the {@link ServiceLoader} providers that declare the scheme. A
 * provider that fails to load is logged and skipped (and named if nothing handles the scheme);
 * several for one scheme are a warning that names the one chosen and the property that chooses;
 * a scheme nothing handles is an error that lists the schemes found and says what to add, with
 * the URL's passwords masked.
 *
 * <p>Streamable Topic finds topic backends and shared-state stores with it; applications do not
 * need it. Warnings are logged under the provider type's name.
 *
 * @param <P> the provider type
 */
public final class ProviderLookup<P> {
    private final Class<P> type;
    private final String noun;
    private final String property;
    private final Function<? super P, ? extends Collection<String>> schemes;
    private final Function<String, String> fix;
    private final Function<String, ? extends RuntimeException> notFound;
    private final Logger log;

    /**
     * A lookup for one kind of provider.
     *
     * @param type     the provider interface, as registered in {@code META-INF/services}
     * @param noun     what a provider provides, for messages: {@code "backend"}, {@code "state store"}
     * @param property the system property that names a provider class to use whatever the scheme
     * @param schemes  the URL schemes a provider handles
     * @param fix      for a scheme nothing handles, the sentence that says what to add (no final period)
     * @param notFound makes the exception thrown when no provider is found or the named one cannot be created
     */
    public ProviderLookup(Class<P> type, String noun, String property,
                          Function<? super P, ? extends Collection<String>> schemes, Function<String, String> fix,
                          Function<String, ? extends RuntimeException> notFound) {
        this.type = Objects.requireNonNull(type, "type");
        this.noun = Objects.requireNonNull(noun, "noun");
        this.property = Objects.requireNonNull(property, "property");
        this.schemes = Objects.requireNonNull(schemes, "schemes");
        this.fix = Objects.requireNonNull(fix, "fix");
        this.notFound = Objects.requireNonNull(notFound, "notFound");
        this.log = LoggerFactory.getLogger(type);
    }

    /**
     * The provider for a URL.
     *
     * @param url the parsed URL
     * @return the provider named by the system property if it is set, else the first one found for the URL's scheme
     * @throws RuntimeException made by {@code notFound} if nothing handles the scheme, or the named
     *                          provider class cannot be created
     */
    public P find(BackendUrl url) {
        String explicit = System.getProperty(property);
        if (explicit != null && !explicit.isBlank()) {
            return instantiate(explicit.trim());
        }
        Map<String, List<P>> byScheme = new TreeMap<>();
        List<String> broken = new ArrayList<>();
        var iterator = ServiceLoader.load(type, classLoader()).iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                P provider = iterator.next();
                for (String scheme : schemes.apply(provider)) {
                    byScheme.computeIfAbsent(scheme, s -> new ArrayList<>()).add(provider);
                }
            } catch (ServiceConfigurationError e) {
                // a provider that cannot load must not hide the others; say so if nothing matches
                broken.add(e.getMessage());
                log.warn("A {} provider failed to load and is ignored: {}", noun, e.getMessage());
            }
        }
        List<P> candidates = byScheme.get(url.scheme());
        if (candidates == null) {
            throw notFound.apply("No " + noun + " for scheme \"" + url.scheme() + "\" (URL " + url.masked() + "). "
                    + Character.toUpperCase(noun.charAt(0)) + noun.substring(1) + "s found on the class path: "
                    + (byScheme.isEmpty() ? "none" : byScheme.keySet()) + ". " + fix.apply(url.scheme())
                    + (broken.isEmpty() ? "." : "; these providers failed to load: " + broken + "."));
        }
        if (candidates.size() > 1) {
            log.warn("Several {} providers handle scheme \"{}\": {}; using {}. Set -D{}=<class> to choose.", noun,
                    url.scheme(), candidates.stream().map(p -> p.getClass().getName()).toList(),
                    candidates.get(0).getClass().getName(), property);
        }
        return candidates.get(0);
    }

    private P instantiate(String className) {
        try {
            return type.cast(Class.forName(className, true, classLoader()).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw notFound.apply("The " + noun + " provider " + className + " named by -D" + property
                    + " could not be created: " + e + ". Name a public " + type.getSimpleName() + " class with a"
                    + " public no-argument constructor, or remove the property to choose by URL scheme.");
        }
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : ProviderLookup.class.getClassLoader();
    }
}
