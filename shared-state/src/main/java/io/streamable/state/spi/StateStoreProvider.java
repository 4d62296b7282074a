package io.streamable.state.spi;

import io.streamable.backend.BackendUrl;

/**
 * A state backend's entry point, found with {@link java.util.ServiceLoader} and chosen by URL
 * scheme, like topic backends. A module registers its provider in
 * {@code META-INF/services/io.streamable.state.spi.StateStoreProvider}.
 */
public interface StateStoreProvider {

    /** {@return the URL scheme this provider opens, for example {@code "memory"} or {@code "mongodb"}} */
    String scheme();

    /** {@return further schemes it also opens, for example {@code "mongodb+srv"}; none by default} */
    default java.util.Set<String> aliases() {
        return java.util.Set.of();
    }

    /** {@return the Maven artifact that ships this provider, named in errors when it is missing} */
    default String artifact() {
        return "io.streamable:state-" + scheme();
    }

    /**
     * Connects to the backend the URL names.
     *
     * @param url the parsed URL, whose scheme is {@link #scheme()} or one of {@link #aliases()}
     * @return an open backend, which the caller closes
     * @throws IllegalArgumentException if the URL or an option is invalid (say which and why)
     * @throws io.streamable.backend.BackendUnavailableException if the servers cannot be reached
     */
    StateBackend open(BackendUrl url);
}
