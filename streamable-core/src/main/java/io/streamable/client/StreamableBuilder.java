package io.streamable.client;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.ConsumerInterceptor;
import io.streamable.json.JsonCodecFactory;
import io.streamable.produce.ProducerInterceptor;
import io.streamable.schema.SchemaCapableCodecFactory;
import io.streamable.schema.Upcaster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;

/**
 * Options for {@link Streamable}. Build one with {@link Streamable#builder()}.
 *
 * <pre>{@code
 * Streamable streamable = Streamable.builder()
 *     .url("kafka://localhost:9092")
 *     .option("partitions", "12")
 *     .build();
 * }</pre>
 *
 * <p>Configuration errors are reported when {@link #build()} runs, naming where the bad value
 * came from (environment variable, system property, properties file or code), the value with
 * passwords masked, and how to fix it.
 */
public final class StreamableBuilder {
    /** The environment variable read by {@link #fromEnvironment()}. */
    public static final String URL_ENVIRONMENT_VARIABLE = "STREAMABLE_URL";
    /** The system property and properties-file key read by {@link #fromEnvironment()}. */
    public static final String URL_PROPERTY = "streamable.url";
    /** The class-path resource read by {@link #fromEnvironment()}. */
    public static final String PROPERTIES_RESOURCE = "streamable.properties";
    /** The URL used when nothing is configured. */
    public static final String DEFAULT_URL = "memory:";

    private String url = DEFAULT_URL;
    private String urlSource = "the default";
    private final Map<String, String> options = new LinkedHashMap<>();
    private final Map<String, String> optionSources = new LinkedHashMap<>();
    /** {@code streamable.*} entries from the environment, by key, with where each came from; applied in build(). */
    private final Map<String, Sourced> environmentOptions = new LinkedHashMap<>();
    private PayloadCodecFactory codecFactory = JsonCodecFactory.defaults();
    private boolean schemaRegistry = true;
    private final List<Upcaster<?, ?>> upcasters = new ArrayList<>();
    private final List<ProducerInterceptor> producerInterceptors = new ArrayList<>();
    private final List<ConsumerInterceptor> consumerInterceptors = new ArrayList<>();

    /** A configuration value and where it was found, for error messages. */
    private record Sourced(String value, String source) {
    }

    StreamableBuilder() {
    }

    /**
     * The backend URL; default {@value #DEFAULT_URL}.
     *
     * @param url the backend URL, for example {@code "kafka://localhost:9092"}
     * @return this builder
     */
    public StreamableBuilder url(String url) {
        this.url = Objects.requireNonNull(url, "The backend URL is null: pass one such as \"memory:\","
                + " \"kafka://localhost:9092\" or \"mongoredis://localhost:27017/db?redis=redis://localhost:6379\","
                + " or leave url(...) out to read STREAMABLE_URL, the streamable.url system property or streamable.properties");
        this.urlSource = "StreamableBuilder.url(...)";
        return this;
    }

    /**
     * A backend option; options in the URL's query win over these.
     *
     * @param name  the option name, as the backend documents it
     * @param value its value
     * @return this builder
     */
    public StreamableBuilder option(String name, String value) {
        options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        optionSources.put(name, "StreamableBuilder.option(\"" + name + "\", ...)");
        return this;
    }

    /**
     * Adds an interceptor around every append of every producer of the {@code Streamable}, for
     * example for metrics or trace propagation; interceptors run in the order added, the first
     * outermost.
     *
     * @param interceptor sees every outgoing message and the result of its append
     * @return this builder
     */
    public StreamableBuilder interceptor(ProducerInterceptor interceptor) {
        producerInterceptors.add(Objects.requireNonNull(interceptor,
                "interceptor(null): pass a ProducerInterceptor, or leave the call out"));
        return this;
    }

    /**
     * Adds an interceptor around every handler call of every consumer of the {@code Streamable};
     * interceptors run in the order added, the first outermost.
     *
     * @param interceptor wraps every handler call
     * @return this builder
     */
    public StreamableBuilder interceptor(ConsumerInterceptor interceptor) {
        consumerInterceptors.add(Objects.requireNonNull(interceptor,
                "interceptor(null): pass a ConsumerInterceptor, or leave the call out"));
        return this;
    }

    /**
     * The codec for payloads; default JSON through Jackson, see {@link JsonCodecFactory}.
     *
     * @param factory makes the codec for each payload type
     * @return this builder
     */
    public StreamableBuilder codecs(PayloadCodecFactory factory) {
        this.codecFactory = Objects.requireNonNull(factory, "codec factory");
        return this;
    }

    /**
     * Whether producers register their payload types in the topic's schema registry and stamp
     * each message with its schema version, and consumers decode by version; default true. Schema
     * support needs a codec factory that implements {@link SchemaCapableCodecFactory}, as the
     * default {@link JsonCodecFactory} does: with another factory it is off. See
     * {@link io.streamable.schema.SchemaRegistry}.
     *
     * @param enabled {@code false} to turn schema support off
     * @return this builder
     */
    public StreamableBuilder schemaRegistry(boolean enabled) {
        this.schemaRegistry = enabled;
        return this;
    }

    /**
     * Adds an upcaster: consumers turn every decoded {@code from} payload into a {@code to}, so a
     * handler can see the newest version only. Chains ({@code V1 -> V2 -> V3}) apply in turn.
     *
     * @param from     the old payload type, as stored
     * @param to       the newer payload type
     * @param function turns an old payload into a newer one
     * @param <A>      the old payload type
     * @param <B>      the newer payload type
     * @return this builder
     */
    public <A, B> StreamableBuilder upcaster(Class<A> from, Class<B> to, Function<? super A, ? extends B> function) {
        return upcaster(Upcaster.of(from, to, function));
    }

    /**
     * Adds an upcaster, see {@link #upcaster(Class, Class, Function)}.
     *
     * @param upcaster the upcaster to add
     * @return this builder
     */
    public StreamableBuilder upcaster(Upcaster<?, ?> upcaster) {
        upcasters.add(Objects.requireNonNull(upcaster, "upcaster"));
        return this;
    }

    /**
     * Reads the URL from the {@value #URL_ENVIRONMENT_VARIABLE} environment variable, else the
     * {@value #URL_PROPERTY} system property, else {@value #PROPERTIES_RESOURCE} on the class path,
     * else keeps the URL set so far ({@value #DEFAULT_URL} unless {@link #url} was called).
     *
     * <p>Backend options come from {@code streamable.<scheme>.<option>} entries of the properties
     * file and of system properties (system properties win), for the scheme of the URL in effect
     * when {@link #build()} runs, so {@code url(...)} after this call still gets its options.
     * Options set with {@link #option} and options in the URL's query win over both.
     *
     * @return this builder
     */
    public StreamableBuilder fromEnvironment() {
        return fromEnvironment(System::getenv, System.getProperties(), classLoader());
    }

    /** {@link #fromEnvironment()} over given sources, so tests need not change the real environment. */
    StreamableBuilder fromEnvironment(Function<String, String> environment, Properties systemProperties,
                                      ClassLoader resources) {
        URL fileUrl = resources.getResource(PROPERTIES_RESOURCE);
        Properties file = load(fileUrl);
        String fileName = fileUrl == null ? PROPERTIES_RESOURCE : PROPERTIES_RESOURCE + " (" + fileUrl + ")";

        String fromEnv = environment.apply(URL_ENVIRONMENT_VARIABLE);
        String fromSystem = systemProperties.getProperty(URL_PROPERTY);
        String fromFile = file.getProperty(URL_PROPERTY);
        if (!isBlank(fromEnv)) {
            url = fromEnv.trim();
            urlSource = "the environment variable " + URL_ENVIRONMENT_VARIABLE;
        } else if (!isBlank(fromSystem)) {
            url = fromSystem.trim();
            urlSource = "the system property " + URL_PROPERTY;
        } else if (!isBlank(fromFile)) {
            url = fromFile.trim();
            urlSource = "the key " + URL_PROPERTY + " in " + fileName;
        }
        for (String key : file.stringPropertyNames()) {
            environmentOptions.put(key, new Sourced(file.getProperty(key), "the key " + key + " in " + fileName));
        }
        for (String key : systemProperties.stringPropertyNames()) {
            if (key.startsWith("streamable.")) {
                environmentOptions.put(key, new Sourced(systemProperties.getProperty(key), "the system property " + key));
            }
        }
        return this;
    }

    /**
     * Opens the backend.
     *
     * @return the open {@code Streamable}, which the caller closes
     * @throws IllegalArgumentException                          if the URL or an option is invalid;
     *                                                            the message names where it came from
     * @throws io.streamable.backend.BackendNotFoundException    if no backend handles the scheme; the
     *                                                            message names the artifact to add
     * @throws io.streamable.backend.BackendUnavailableException if the backend cannot be reached
     */
    public Streamable build() {
        BackendUrl parsed = resolve();
        SchemaCapableCodecFactory schemaCodecs = schemaRegistry
                && codecFactory instanceof SchemaCapableCodecFactory capable ? capable : null;
        if (!upcasters.isEmpty() && schemaCodecs == null) {
            throw new IllegalStateException("Upcasters need the schema registry, which is "
                    + (schemaRegistry ? "off because the payload codec factory " + codecFactory.getClass().getName()
                    + " does not implement " + SchemaCapableCodecFactory.class.getName() : "switched off")
                    + "; remove the upcasters, or use a codec factory with schema support (the default"
                    + " JsonCodecFactory is one) and schemaRegistry(true)");
        }
        Backend backend;
        try {
            backend = BackendRegistry.open(parsed);
        } catch (BackendNotFoundException e) {
            throw new BackendNotFoundException(e.getMessage() + " The URL came from " + urlSource + ".");
        } catch (BackendUnavailableException e) {
            throw new BackendUnavailableException("Could not connect to " + parsed.masked() + " (from " + urlSource
                    + "): " + e.getMessage() + ". Check that the servers are running and reachable, or point "
                    + fixHint() + " at another backend.", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The backend refused its configuration " + parsed.masked() + " (URL from "
                    + urlSource + describeOptions(parsed) + "): " + e.getMessage(), e);
        }
        try {
            DefaultSchemaRegistry registry = schemaCodecs == null ? null
                    : new DefaultSchemaRegistry(backend, schemaCodecs.objectMapper(), schemaCodecs, upcasters);
            return new DefaultStreamable(backend, codecFactory, registry, parsed.masked(),
                    new Interceptors(producerInterceptors, consumerInterceptors));
        } catch (RuntimeException e) {
            backend.close(); // an invalid option must not leak the connection
            throw e;
        }
    }

    /** The URL and options {@link #build()} would open, checked for syntax. */
    BackendUrl resolve() {
        BackendUrl parsed;
        try {
            parsed = BackendUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid backend URL \"" + BackendUrl.mask(url) + "\" from " + urlSource
                    + ": " + e.getMessage() + ". Fix " + fixHint() + ".", e);
        }
        String prefix = "streamable." + parsed.scheme() + ".";
        Map<String, String> merged = new LinkedHashMap<>();
        environmentOptions.forEach((key, sourced) -> {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                String name = key.substring(prefix.length());
                merged.put(name, sourced.value());
                optionSources.putIfAbsent(name, sourced.source());
            }
        });
        merged.putAll(options);
        return parsed.withDefaults(merged);
    }

    /** Where the URL came from, for messages and diagnostics, e.g. "the environment variable STREAMABLE_URL". */
    String urlSource() {
        return urlSource;
    }

    private String fixHint() {
        return switch (urlSource) {
            case "the default", "StreamableBuilder.url(...)" -> "the URL passed to Streamable.open(...), or set "
                    + URL_ENVIRONMENT_VARIABLE;
            default -> urlSource;
        };
    }

    private String describeOptions(BackendUrl parsed) {
        StringBuilder text = new StringBuilder();
        parsed.options().forEach((name, value) -> {
            String source = optionSources.get(name);
            if (source != null && !parsed.raw().contains(name + "=")) {
                text.append(text.length() == 0 ? "; options: " : ", ").append(name).append('=')
                        .append(BackendUrl.isSecretOption(name) ? "****" : value).append(" from ").append(source);
            }
        });
        return text.toString();
    }

    private static Properties load(URL resource) {
        Properties properties = new Properties();
        if (resource == null) {
            return properties;
        }
        try (InputStream in = resource.openStream()) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + PROPERTIES_RESOURCE + " at " + resource
                    + ": " + e.getMessage() + ". Fix or remove the file.", e);
        }
        return properties;
    }

    private static ClassLoader classLoader() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return loader != null ? loader : StreamableBuilder.class.getClassLoader();
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
