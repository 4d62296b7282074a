package io.streamable.backend;

/**
 * A storage backend's entry point, found with {@link java.util.ServiceLoader} and chosen by URL
 * scheme, the way JDBC picks a driver. A backend module registers its provider in
 * {@code META-INF/services/io.streamable.backend.BackendProvider}.
 */
public interface BackendProvider {

    /** {@return the URL scheme this provider opens, for example {@code "memory"} or {@code "kafka"}} */
    String scheme();

    /** {@return the Maven artifact that ships this provider, named in errors when it is missing} */
    default String artifact() {
        return "io.streamable:backend-" + scheme();
    }

    /**
     * Connects to the backend the URL names.
     *
     * @param url the parsed URL, whose scheme is {@link #scheme()}
     * @return an open backend, which the caller closes
     * @throws IllegalArgumentException     if the URL or an option is invalid (say which and why)
     * @throws BackendUnavailableException  if the servers cannot be reached
     */
    Backend open(BackendUrl url);
}
