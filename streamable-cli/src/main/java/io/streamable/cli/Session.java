package io.streamable.cli;

import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import io.streamable.client.Streamable;
import io.streamable.client.StreamableBuilder;

import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The backend connection of one run: opened on first use from {@code --url} or the environment,
 * shared by the commands of an {@code exec} script, closed when the run ends.
 *
 * <p>A URL given with {@code --url} is checked here before the library opens it, so its errors
 * speak of {@code --url} and the backends in this tool rather than of the Java API the library's
 * own messages name. URLs from the environment keep the library's messages, which name the
 * variable, property or file they came from.
 */
final class Session implements AutoCloseable {
    private static final String EXAMPLES = "for example memory:, kafka://localhost:9092 or"
            + " mongoredis://localhost:27017/db?redis=redis://localhost:6379";

    private Streamable streamable;
    private String openedUrl;
    private boolean script;

    /** The connection for {@code url} (null: configured by the environment). */
    synchronized Streamable streamable(String url) {
        if (streamable != null) {
            if (url != null && !url.equals(openedUrl)) {
                throw new UsageException("This run is already connected to " + streamable
                        + "; give --url once, before the first command of an exec script");
            }
            return streamable;
        }
        StreamableBuilder builder = Streamable.builder().fromEnvironment();
        if (url != null) {
            BackendUrl parsed = check(url);
            builder.url(url);
            streamable = open(builder, parsed);
        } else {
            streamable = builder.build();
        }
        openedUrl = url;
        return streamable;
    }

    /** Whether a connection is open, so the first command to open one can say what it opened. */
    synchronized boolean isOpen() {
        return streamable != null;
    }

    /** Marks this session as an exec script's, whose commands share one process on purpose. */
    synchronized void script() {
        script = true;
    }

    synchronized boolean isScript() {
        return script;
    }

    /** The scheme of an open connection's backend, from its description ({@code memory:NAME} gives memory). */
    static String scheme(Streamable streamable) {
        String described = streamable.backend().describe();
        int colon = described.indexOf(':');
        return colon < 0 ? described : described.substring(0, colon);
    }

    /** The syntax and scheme of a {@code --url}, in the words of the command line. */
    private static BackendUrl check(String url) {
        BackendUrl parsed;
        try {
            parsed = BackendUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--url \"" + BackendUrl.mask(url) + "\" is not a backend URL: " + e.getMessage()
                    + ". A URL starts with its scheme, " + EXAMPLES + ".");
        }
        String explicit = System.getProperty("streamable.backend.provider");
        if (explicit == null || explicit.isBlank()) {
            Set<String> schemes = schemes();
            if (!schemes.contains(parsed.scheme())) {
                throw new UsageException("--url " + parsed.masked() + ": this streamable has no backend for scheme \""
                        + parsed.scheme() + "\"; it has " + String.join(", ", schemes) + ". A URL starts with its"
                        + " scheme, " + EXAMPLES + ".");
            }
        }
        return parsed;
    }

    /** The schemes of the backends in this tool. */
    private static Set<String> schemes() {
        Set<String> schemes = new TreeSet<>();
        var providers = ServiceLoader.load(BackendProvider.class, Session.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    return schemes;
                }
                schemes.add(providers.next().scheme());
            } catch (ServiceConfigurationError broken) {
                // the library reports providers that fail to load when it opens the URL
            }
        }
    }

    /** Opens a checked {@code --url}; failures name --url, the backend's own reason and what to do. */
    private static Streamable open(StreamableBuilder builder, BackendUrl url) {
        try {
            return builder.build();
        } catch (BackendUnavailableException e) {
            throw new BackendUnavailableException("Could not connect to " + url.masked() + " (--url): "
                    + reason(e) + ". If the URL is wrong, give another --url.", e);
        } catch (BackendNotFoundException e) {
            throw new BackendNotFoundException("--url " + url.masked() + ": " + reason(e));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--url " + url.masked() + " was refused by the " + url.scheme() + " backend: "
                    + reason(e) + ". Fix the URL's options.");
        }
    }

    /** The backend's own words, without the library's note on where the URL came from. */
    private static String reason(RuntimeException e) {
        Throwable cause = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause() : e;
        String reason = BackendUrl.mask(cause.getMessage()).strip();
        // the library names where the URL came from in Java terms; --url says it already
        reason = reason.replace(" The URL came from StreamableBuilder.url(...).", "");
        return reason.endsWith(".") ? reason.substring(0, reason.length() - 1) : reason;
    }

    @Override
    public synchronized void close() {
        if (streamable != null) {
            streamable.close();
            streamable = null;
        }
    }
}
