package io.streamable.state;

import io.streamable.backend.BackendUrl;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.json.JsonCodecFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Options for {@link SharedState}; make one with {@link SharedState#builder()}.
 *
 * <pre>{@code
 * SharedState state = SharedState.builder()
 *     .url("mongodb://localhost:27017/bank")
 *     .maxAttempts(50)
 *     .build();
 * }</pre>
 */
public final class SharedStateBuilder {
    /** The environment variable read by {@link #fromEnvironment()}. */
    public static final String URL_ENVIRONMENT_VARIABLE = "STREAMABLE_STATE_URL";
    /** The system property read by {@link #fromEnvironment()}. */
    public static final String URL_PROPERTY = "streamable.state.url";
    /** The URL used when nothing is configured. */
    public static final String DEFAULT_URL = "memory:";
    /** The default number of attempts of one update under contention. */
    public static final int DEFAULT_MAX_ATTEMPTS = 100;

    private String url = DEFAULT_URL;
    private final Map<String, String> options = new LinkedHashMap<>();
    private PayloadCodecFactory codecs = JsonCodecFactory.defaults();
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;

    SharedStateBuilder() {
    }

    /**
     * The state backend URL; default {@value #DEFAULT_URL}.
     *
     * @param url the state backend URL
     * @return this builder
     */
    public SharedStateBuilder url(String url) {
        this.url = Objects.requireNonNull(url, "url(null): pass a state store URL such as \"memory:\", \"mongodb://host/db\" or \"redis://host:6379\", or use fromEnvironment()");
        return this;
    }

    /**
     * A backend option; options in the URL's query win over these.
     *
     * @param name  the option name, as the backend documents it
     * @param value its value
     * @return this builder
     */
    public SharedStateBuilder option(String name, String value) {
        options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * The codec for values; default JSON through Jackson, the same as for payloads.
     *
     * @param factory makes the codec for each value type
     * @return this builder
     */
    public SharedStateBuilder codecs(PayloadCodecFactory factory) {
        this.codecs = Objects.requireNonNull(factory, "codec factory");
        return this;
    }

    /**
     * How many times one update reads, computes and tries to write before giving up with
     * {@link StateConflictException}; default {@value #DEFAULT_MAX_ATTEMPTS}.
     *
     * @param attempts the most attempts per update, at least 1
     * @return this builder
     */
    public SharedStateBuilder maxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + attempts);
        }
        this.maxAttempts = attempts;
        return this;
    }

    /**
     * Reads the URL from {@value #URL_ENVIRONMENT_VARIABLE}, else the {@value #URL_PROPERTY}
     * system property, else keeps the current one ({@value #DEFAULT_URL} unless set).
     *
     * @return this builder
     */
    public SharedStateBuilder fromEnvironment() {
        String configured = System.getenv(URL_ENVIRONMENT_VARIABLE);
        if (configured == null || configured.isBlank()) {
            configured = System.getProperty(URL_PROPERTY);
        }
        if (configured != null && !configured.isBlank()) {
            url = configured.trim();
        }
        return this;
    }

    /**
     * Connects to the state backend.
     *
     * @return the open connection, which the caller closes
     * @throws StateBackendNotFoundException if no provider on the class path handles the scheme
     */
    public SharedState build() {
        BackendUrl parsed = BackendUrl.parse(url).withDefaults(options);
        return new DefaultSharedState(StateBackendRegistry.open(parsed), codecs, maxAttempts, parsed.masked());
    }
}
