package io.streamable.client;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.TopicStore;

import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A backend for configuration tests ({@code recording:} URLs): it remembers the URL it was opened
 * with, refuses an option named {@code partitions} that is not a number the way a real backend
 * would, and reports itself unreachable when {@code down=true}.
 */
public final class RecordingBackendProvider implements BackendProvider {
    static final AtomicReference<BackendUrl> LAST = new AtomicReference<>();

    @Override
    public String scheme() {
        return "recording";
    }

    @Override
    public Backend open(BackendUrl url) {
        url.option("partitions").ifPresent(value -> {
            if (!value.matches("\\d+")) {
                throw new IllegalArgumentException("Option partitions must be a positive number, got \"" + value + "\"");
            }
        });
        if (url.option("down").filter("true"::equals).isPresent()) {
            throw new BackendUnavailableException("connection refused", new ConnectException("refused"));
        }
        LAST.set(url);
        return new Backend() {
            @Override
            public TopicStore topic(String name) {
                throw new UnsupportedOperationException("configuration tests open no topics");
            }

            @Override
            public Set<String> listTopics() {
                return Set.of();
            }

            @Override
            public String describe() {
                return url.masked();
            }

            @Override
            public void close() {
            }
        };
    }
}
