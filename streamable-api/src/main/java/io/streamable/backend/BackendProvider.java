package io.streamable.backend;

/**
 * A storage backend's entry point, found with {@link java.util.ServiceLoader} and chosen by URL
 * scheme, the way JDBC picks a driver. A backend module registers its provider in
 * {@code META-INF/services/io.streamable.backend.BackendProvider}.
 */
public interface BackendProvider {

    /** The URL scheme this provider opens, for example {@code "memory"} or {@code "kafka"}. */
    String scheme();

    /** The Maven artifact that ships this provider, named in errors when it is missing. */
    default String artifact() {
        return "io.streamable:backend-" + scheme();
    }

    /**
     * Connects to the backend the URL names.
     *
     * @throws IllegalArgumentException     if the URL or an option is invalid (say which and why)
     * @throws BackendUnavailableException  if the servers cannot be reached
     */
    Backend open(BackendUrl url);
}
