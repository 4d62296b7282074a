package io.streamable.state.memory;

import io.streamable.backend.BackendUrl;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateStoreProvider;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens {@code memory:} state URLs, with the same meaning as for topics: {@code memory:} alone is
 * private to its connection; {@code memory:NAME} is shared by every connection of this JVM that
 * names it and kept until the JVM exits, so processor instances in one JVM share their state.
 */
public final class InMemoryStateStoreProvider implements StateStoreProvider {
    private static final Map<String, InMemoryStateBackend.Space> NAMED = new ConcurrentHashMap<>();

    @Override
    public String scheme() {
        return "memory";
    }

    @Override
    public String artifact() {
        return "io.streamable:shared-state";
    }

    @Override
    public StateBackend open(BackendUrl url) {
        String name = url.schemeSpecificPart().replaceFirst("^//", "");
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        InMemoryStateBackend.Space space = name.isEmpty() ? new InMemoryStateBackend.Space()
                : NAMED.computeIfAbsent(name, n -> new InMemoryStateBackend.Space());
        return new InMemoryStateBackend(space, url.masked());
    }
}
