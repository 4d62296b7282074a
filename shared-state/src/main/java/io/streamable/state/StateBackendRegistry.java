package io.streamable.state;

import io.streamable.backend.BackendUrl;
import io.streamable.client.ProviderLookup;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateStoreProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Finds the state store provider for a URL's scheme or one of its aliases with core's
 * {@link ProviderLookup}, as topic backends are found.
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
    private static final ProviderLookup<StateStoreProvider> LOOKUP = new ProviderLookup<>(StateStoreProvider.class,
            "state store", PROVIDER_PROPERTY, StateBackendRegistry::schemes,
            scheme -> "Add the dependency " + KNOWN_ARTIFACTS.getOrDefault(scheme,
                    "the state store module for this scheme") + " to use it",
            StateBackendNotFoundException::new);

    private StateBackendRegistry() {
    }

    static StateBackend open(BackendUrl url) {
        StateStoreProvider provider = find(url);
        LOG.debug("Opening state backend {} with {}", url.masked(), provider.getClass().getName());
        return provider.open(url);
    }

    static StateStoreProvider find(BackendUrl url) {
        return LOOKUP.find(url);
    }

    private static Set<String> schemes(StateStoreProvider provider) {
        Set<String> schemes = new HashSet<>(provider.aliases());
        schemes.add(provider.scheme());
        return schemes;
    }
}
