package io.streamable.client;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Finds the backend provider for a URL's scheme with a {@link ProviderLookup}. */
final class BackendRegistry {
    /** Names a {@link BackendProvider} class to use whatever the URL's scheme. */
    static final String PROVIDER_PROPERTY = "streamable.backend.provider";

    private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
            "memory", "io.streamable:backend-inmemory",
            "mongoredis", "io.streamable:backend-mongoredis",
            "kafka", "io.streamable:backend-kafka");
    private static final ProviderLookup<BackendProvider> LOOKUP = new ProviderLookup<>(BackendProvider.class,
            "backend", PROVIDER_PROPERTY, provider -> List.of(provider.scheme()), BackendRegistry::fix,
            BackendNotFoundException::new);

    private BackendRegistry() {
    }

    static Backend open(BackendUrl url) {
        BackendProvider provider = find(url);
        LOG.debug("Opening {} with {}", url.masked(), provider.getClass().getName());
        return provider.open(url);
    }

    static BackendProvider find(BackendUrl url) {
        return LOOKUP.find(url);
    }

    private static String fix(String scheme) {
        String artifact = KNOWN_ARTIFACTS.get(scheme);
        return artifact != null ? "Add the dependency " + artifact + " to use it"
                : "\"" + scheme + "\" is not a scheme Streamable Topic knows; known backends are "
                + new TreeMap<>(KNOWN_ARTIFACTS) + " (scheme=Maven artifact). A URL starts with its scheme,"
                + " for example memory:, kafka://localhost:9092 or"
                + " mongoredis://localhost:27017/db?redis=redis://localhost:6379";
    }
}
