package io.streamable.state;

import io.streamable.backend.BackendUrl;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateStoreProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Finds the state store provider for a URL's scheme: a provider class named by a system property
 * first, then {@link ServiceLoader}, as topic backends are found.
 */
final class StateBackendRegistry {
    /** Names a {@link StateStoreProvider} class to use whatever the URL's scheme. */
    static final String PROVIDER_PROPERTY = "streamable.state.provider";

    private static final Logger LOG = LoggerFactory.getLogger(StateBackendRegistry.class);
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
            "memory", "io.streamable:shared-state",
            "mongodb", "io.streamable:state-mongodb",
            "mongodb+srv", "io.streamable:state-mongodb",
            "redis", "io.streamable:state-redis",
            "rediss", "io.streamable:state-redis");

    private StateBackendRegistry() {
    }

    static StateBackend open(BackendUrl url) {
        StateStoreProvider provider = find(url);
        LOG.debug("Opening state backend {} with {}", url.masked(), provider.getClass().getName());
        return provider.open(url);
    }

    static StateStoreProvider find(BackendUrl url) {
        String explicit = System.getProperty(PROVIDER_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            return instantiate(explicit.trim());
        }
        Map<String, List<StateStoreProvider>> byScheme = new TreeMap<>();
        List<String> broken = new ArrayList<>();
        var iterator = ServiceLoader.load(StateStoreProvider.class, classLoader()).iterator();
        while (true) {
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                StateStoreProvider provider = iterator.next();
                byScheme.computeIfAbsent(provider.scheme(), s -> new ArrayList<>()).add(provider);
                for (String alias : provider.aliases()) {
                    byScheme.computeIfAbsent(alias, s -> new ArrayList<>()).add(provider);
                }
            } catch (ServiceConfigurationError e) {
                // one provider that cannot load must not hide the others
                broken.add(e.getMessage());
                LOG.warn("A state store provider failed to load and is ignored: {}", e.getMessage());
            }
        }
        List<StateStoreProvider> candidates = byScheme.get(url.scheme());
        if (candidates == null) {
            String artifact = KNOWN_ARTIFACTS.getOrDefault(url.scheme(), "the state store module for this scheme");
            throw new StateBackendNotFoundException("No state store for scheme \"" + url.scheme() + "\" (URL "
                    + url.masked() + "). State stores found on the class path: "
                    + (byScheme.isEmpty() ? "none" : byScheme.keySet()) + ". Add the dependency " + artifact
                    + " to use it" + (broken.isEmpty() ? "." : "; these providers failed to load: " + broken));
        }
        if (candidates.size() > 1) {
            LOG.warn("Several state store providers handle scheme \"{}\": {}; using {}. Set -D{}=<class> to choose.",
                    url.scheme(), candidates.stream().map(p -> p.getClass().getName()).toList(),
                    candidates.get(0).getClass().getName(), PROVIDER_PROPERTY);
        }
        return candidates.get(0);
    }

    private static StateStoreProvider instantiate(String className) {
        try {
            return (StateStoreProvider) Class.forName(className, true, classLoader()).getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new StateBackendNotFoundException("The state store provider " + className + " named by -D"
                    + PROVIDER_PROPERTY + " could not be created: " + e + ". Name a public StateStoreProvider class"
                    + " with a public no-argument constructor, or remove the property to choose by URL scheme.");
        }
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : StateBackendRegistry.class.getClassLoader();
    }
}
