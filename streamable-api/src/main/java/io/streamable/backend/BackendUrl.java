package io.streamable.backend;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A backend URL such as {@code memory:}, {@code kafka://host:9092?partitions=12} or
 * {@code mongoredis://user:secret@host:27017/db?redis=redis://host:6379}, split into its scheme,
 * the part after the scheme, and its options (query parameters, URL-decoded, plus options given
 * outside the URL, which the URL's own override).
 *
 * <p>{@link #toString()} and {@link #masked()} hide passwords, both in {@code user:password@}
 * parts (nested URLs included) and in options whose name suggests a secret.
 */
public final class BackendUrl {
    private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*");
    /** {@code //user:password@}, with or without a scheme before it (a URL missing its scheme must not leak either). */
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("(//[^/@:?#]*:)[^@/?#]*@");
    /** {@code user:password@host} with no {@code //} at all, which parses as scheme "user": mask it all the same. */
    private static final Pattern BARE_USER_INFO_PASSWORD = Pattern.compile("^([^/@:?#]*:)[^@/?#]*@");
    private static final Pattern SECRET_OPTION = Pattern.compile(
            "(?i)([?&][^=&]*(?:password|secret|token|credential|jaas)[^=&]*=)[^&]*");
    private static final String MASK = "****";

    private final String raw;
    private final String scheme;
    private final String schemeSpecificPart;
    private final Map<String, String> options;

    private BackendUrl(String raw, String scheme, String schemeSpecificPart, Map<String, String> options) {
        this.raw = raw;
        this.scheme = scheme;
        this.schemeSpecificPart = schemeSpecificPart;
        this.options = Collections.unmodifiableMap(options);
    }

    /**
     * Parses a URL.
     *
     * @throws IllegalArgumentException if it has no scheme
     */
    public static BackendUrl parse(String url) {
        Objects.requireNonNull(url, "backend URL");
        String text = url.trim();
        int colon = text.indexOf(':');
        if (colon <= 0 || !SCHEME.matcher(text.substring(0, colon)).matches()) {
            throw new IllegalArgumentException("Backend URL \"" + mask(text) + "\" has no scheme. Use for example"
                    + " \"memory:\", \"kafka://localhost:9092\" or \"mongoredis://localhost:27017/db?redis=redis://localhost:6379\"");
        }
        String scheme = text.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = text.substring(colon + 1);
        Map<String, String> options = new LinkedHashMap<>();
        int query = rest.indexOf('?');
        if (query >= 0) {
            for (String pair : rest.substring(query + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
                options.put(name, value);
            }
            rest = rest.substring(0, query);
        }
        return new BackendUrl(text, scheme, rest, options);
    }

    /** The same URL with extra options; options already in the URL win. */
    public BackendUrl withDefaults(Map<String, String> defaults) {
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        merged.putAll(options);
        return new BackendUrl(raw, scheme, schemeSpecificPart, merged);
    }

    /** The scheme, lower case: {@code "memory"}, {@code "kafka"}, {@code "mongoredis"}. */
    public String scheme() {
        return scheme;
    }

    /** What follows the scheme's colon, without the options: {@code "//host:9092"}. */
    public String schemeSpecificPart() {
        return schemeSpecificPart;
    }

    /** The URL exactly as given, credentials included: hand it to clients, never to logs. */
    public String raw() {
        return raw;
    }

    /** All options, URL-decoded. */
    public Map<String, String> options() {
        return options;
    }

    /** One option. */
    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }

    /** The URL with passwords replaced by {@code ****}. */
    public String masked() {
        return mask(raw);
    }

    /** Masks passwords in any URL-like text: {@code user:secret@} parts and secret-named options. */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        String masked = USER_INFO_PASSWORD.matcher(text).replaceAll("$1" + MASK + "@");
        masked = BARE_USER_INFO_PASSWORD.matcher(masked).replaceAll("$1" + MASK + "@");
        // nested URLs inside options are URL-encoded; mask their decoded form too
        masked = masked.replaceAll("(?i)(%3A%2F%2F[^%@/?#&]*%3A)[^@&]*?(%40|@)", "$1" + MASK + "$2");
        return SECRET_OPTION.matcher(masked).replaceAll("$1" + MASK);
    }

    /** Whether an option name suggests a secret whose value must never be printed. */
    public static boolean isSecretOption(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.contains("password") || lower.contains("secret") || lower.contains("token")
                || lower.contains("credential") || lower.contains("jaas");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof BackendUrl that && raw.equals(that.raw) && options.equals(that.options);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }

    @Override
    public String toString() {
        return masked();
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
