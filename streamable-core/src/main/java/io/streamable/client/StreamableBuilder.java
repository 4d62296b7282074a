package io.streamable.client;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendUrl;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.DefaultSchemaRegistry;
import io.streamable.schema.Upcaster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
    private final Map<String, String> options = new LinkedHashMap<>();
    private PayloadCodecFactory codecFactory = JsonCodecFactory.defaults();
    private boolean schemaRegistry = true;
    private final List<Upcaster<?, ?>> upcasters = new ArrayList<>();

    StreamableBuilder() {
    }

    /** The backend URL; default {@value #DEFAULT_URL}. */
    public StreamableBuilder url(String url) {
        this.url = Objects.requireNonNull(url, "url");
        return this;
    }

    /** A backend option; options in the URL's query win over these. */
    public StreamableBuilder option(String name, String value) {
        options.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /** The codec for payloads; default JSON through Jackson, see {@link JsonCodecFactory}. */
    public StreamableBuilder codecs(PayloadCodecFactory factory) {
        this.codecFactory = Objects.requireNonNull(factory, "codec factory");
        return this;
    }

    /**
     * Whether producers register their payload types in the topic's schema registry and stamp
     * each message with its schema version, and consumers decode by version; default true. Schema
     * support needs the JSON codec ({@link JsonCodecFactory}): with another codec it is off. See
     * {@link io.streamable.schema.SchemaRegistry}.
     */
    public StreamableBuilder schemaRegistry(boolean enabled) {
        this.schemaRegistry = enabled;
        return this;
    }

    /**
     * Adds an upcaster: consumers turn every decoded {@code from} payload into a {@code to}, so a
     * handler can see the newest version only. Chains ({@code V1 -> V2 -> V3}) apply in turn.
     */
    public <A, B> StreamableBuilder upcaster(Class<A> from, Class<B> to, Function<? super A, ? extends B> function) {
        return upcaster(Upcaster.of(from, to, function));
    }

    /** Adds an upcaster, see {@link #upcaster(Class, Class, Function)}. */
    public StreamableBuilder upcaster(Upcaster<?, ?> upcaster) {
        upcasters.add(Objects.requireNonNull(upcaster, "upcaster"));
        return this;
    }

    /**
     * Reads the URL from the {@value #URL_ENVIRONMENT_VARIABLE} environment variable, else the
     * {@value #URL_PROPERTY} system property, else {@value #PROPERTIES_RESOURCE} on the class path,
     * else keeps {@value #DEFAULT_URL}. Options come from {@code streamable.<scheme>.<option>}
     * entries of the properties file and system properties.
     */
    public StreamableBuilder fromEnvironment() {
        Properties file = loadPropertiesResource();
        String configured = firstNonBlank(System.getenv(URL_ENVIRONMENT_VARIABLE), System.getProperty(URL_PROPERTY),
                file.getProperty(URL_PROPERTY));
        if (configured != null) {
            url = configured;
        }
        String prefix = "streamable." + BackendUrl.parse(url).scheme() + ".";
        for (Properties source : new Properties[] {file, System.getProperties()}) {
            for (String key : source.stringPropertyNames()) {
                if (key.startsWith(prefix)) {
                    options.put(key.substring(prefix.length()), source.getProperty(key));
                }
            }
        }
        return this;
    }

    /**
     * Opens the backend.
     *
     * @throws io.streamable.backend.BackendNotFoundException if no backend handles the scheme
     */
    public Streamable build() {
        BackendUrl parsed = BackendUrl.parse(url).withDefaults(options);
        boolean schemas = schemaRegistry && codecFactory instanceof JsonCodecFactory;
        if (!upcasters.isEmpty() && !schemas) {
            throw new IllegalStateException("Upcasters need the schema registry, which is "
                    + (schemaRegistry ? "off because the payload codec is not the JSON codec" : "switched off")
                    + "; remove the upcasters or use the JSON codec with schemaRegistry(true)");
        }
        Backend backend = BackendRegistry.open(parsed);
        try {
            DefaultSchemaRegistry registry = schemas ? new DefaultSchemaRegistry(backend,
                    ((JsonCodecFactory) codecFactory).objectMapper(), codecFactory, upcasters) : null;
            return new DefaultStreamable(backend, codecFactory, registry, parsed.masked());
        } catch (RuntimeException e) {
            backend.close(); // an invalid option must not leak the connection
            throw e;
        }
    }

    private static Properties loadPropertiesResource() {
        Properties properties = new Properties();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = StreamableBuilder.class.getClassLoader();
        }
        try (InputStream in = loader.getResourceAsStream(PROPERTIES_RESOURCE)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + PROPERTIES_RESOURCE + " from the class path", e);
        }
        return properties;
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }
}
