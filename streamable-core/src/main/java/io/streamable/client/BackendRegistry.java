package io.streamable.client;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds the backend provider for a URL's scheme, the way SLF4J finds its provider: an explicit
 * provider class named by a system property first, then {@link ServiceLoader}.
 */
final class BackendRegistry {
    /** Names a {@link BackendProvider} class to use whatever the URL's scheme. */
    static final String PROVIDER_PROPERTY = "streamable.backend.provider";

    private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
            "memory", "io.streamable:backend-inmemory",
            "mongoredis", "io.streamable:backend-mongoredis",
            "kafka", "io.streamable:backend-kafka");

    private BackendRegistry() {
    }

    static Backend open(BackendUrl url) {
        BackendProvider provider = find(url);
        LOG.debug("Opening {} with {}", url.masked(), provider.getClass().getName());
        return provider.open(url);
    }

    static BackendProvider find(BackendUrl url) {
        String explicit = System.getProperty(PROVIDER_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return instantiate(explicit.trim());
        }
        Map<String, List<BackendProvider>> byScheme = new TreeMap<>();
        List<String> broken = new ArrayList<>();
        ServiceLoader<BackendProvider> loader = ServiceLoader.load(BackendProvider.class, classLoader());
        var iterator = loader.iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                BackendProvider provider = iterator.next();
                byScheme.computeIfAbsent(provider.scheme(), scheme -> new ArrayList<>()).add(provider);
            } catch (ServiceConfigurationError e) {
                // a provider that cannot load must not hide the others; say so if nothing matches
                broken.add(e.getMessage());
                LOG.warn("A backend provider failed to load and is ignored: {}", e.getMessage());
            }
        }
        List<BackendProvider> candidates = byScheme.get(url.scheme());
        if (candidates == null) {
            String artifact = KNOWN_ARTIFACTS.get(url.scheme());
            String fix = artifact != null ? "Add the dependency " + artifact + " to use it"
                    : "\"" + url.scheme() + "\" is not a scheme Streamable Topic knows; known backends are "
                    + new TreeMap<>(KNOWN_ARTIFACTS) + " (scheme=Maven artifact). A URL starts with its scheme,"
                    + " for example memory:, kafka://localhost:9092 or"
                    + " mongoredis://localhost:27017/db?redis=redis://localhost:6379";
            throw new BackendNotFoundException("No backend for scheme \"" + url.scheme() + "\" (URL " + url.masked()
                    + "). Backends found on the class path: " + (byScheme.isEmpty() ? "none" : byScheme.keySet())
                    + ". " + fix + (broken.isEmpty() ? "." : "; these providers failed to load: " + broken + "."));
        }
        if (candidates.size() > 1) {
            LOG.warn("Several backend providers handle scheme \"{}\": {}; using {}. Set -D{}=<class> to choose.",
                    url.scheme(), candidates.stream().map(p -> p.getClass().getName()).toList(),
                    candidates.get(0).getClass().getName(), PROVIDER_PROPERTY);
        }
        return candidates.get(0);
    }

    private static BackendProvider instantiate(String className) {
        try {
            return (BackendProvider) Class.forName(className, true, classLoader()).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new BackendNotFoundException("The backend provider " + className + " named by -D" + PROVIDER_PROPERTY
                    + " could not be created: " + e + ". Name a public BackendProvider class with a public no-argument"
                    + " constructor, or remove the property to choose by URL scheme.");
        }
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : BackendRegistry.class.getClassLoader();
    }
}
