package io.streamable.backend.kafka;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;

/**
 * Opens {@code kafka://} URLs such as {@code kafka://broker1:9092,broker2:9092?partitions=12&replication=3}.
 * Found by {@link java.util.ServiceLoader}; applications use {@code Streamable.open(url)} rather
 * than this class. See the {@linkplain io.streamable.backend.kafka package documentation} for the options
 * and how the framework's concepts map to Kafka's.
 */
public final class KafkaBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "kafka";

    /** Called by {@link java.util.ServiceLoader}. */
    public KafkaBackendProvider() {
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String artifact() {
        return "io.streamable:backend-kafka";
    }

    @Override
    public Backend open(BackendUrl url) {
        return KafkaBackend.open(url, KafkaOptions.from(url));
    }
}
