package io.streamable.cli;

import io.streamable.client.Streamable;
import io.streamable.client.StreamableBuilder;

/**
 * The backend connection of one run: opened on first use from {@code --url} or the environment,
 * shared by the commands of an {@code exec} script, closed when the run ends.
 */
final class Session implements AutoCloseable {
    private Streamable streamable;
    private String openedUrl;

    /** The connection for {@code url} (null: configured by the environment). */
    synchronized Streamable streamable(String url) {
        if (streamable != null) {
            if (url != null && !url.equals(openedUrl)) {
                throw new IllegalArgumentException("This run is already connected to " + streamable
                        + "; give --url once, before the first command of an exec script");
            }
            return streamable;
        }
        StreamableBuilder builder = Streamable.builder().fromEnvironment();
        if (url != null) {
            builder.url(url);
        }
        streamable = builder.build();
        openedUrl = url;
        return streamable;
    }

    @Override
    public synchronized void close() {
        if (streamable != null) {
            streamable.close();
            streamable = null;
        }
    }
}
