package io.streamable.backend.inmemory;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens {@code memory:} URLs. {@code memory:} alone gives a private store that lives as long as
 * its connection; {@code memory:NAME} gives a store shared by every connection of this JVM that
 * names it, kept until the JVM exits, so a consumer can be closed and resumed on a new connection.
 */
public final class InMemoryBackendProvider implements BackendProvider {
    private static final Map<String, InMemoryStorage> NAMED = new ConcurrentHashMap<>();

    @Override
    public String scheme() {
        return "memory";
    }

    @Override
    public String artifact() {
        return "io.streamable:backend-inmemory";
    }

    @Override
    public Backend open(BackendUrl url) {
        String name = url.schemeSpecificPart().replaceFirst("^//", "");
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        InMemoryStorage storage = name.isEmpty() ? new InMemoryStorage() : NAMED.computeIfAbsent(name, n -> new InMemoryStorage());
        return new InMemoryBackend(storage, url.masked());
    }
}
