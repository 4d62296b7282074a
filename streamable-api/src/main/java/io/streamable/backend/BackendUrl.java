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
    /** The words that make an option, or a {@code NAME:value} pair inside an option, a secret. */
    private static final String SECRET_WORDS = "password|passwd|pwd|secret|token|key|credential|user[._-]?info|jaas";
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(?:" + SECRET_WORDS + ").*");
    /**
     * A secret-named option and its value. The value runs to the next {@code &name=}, not merely
     * the next {@code &}, so an unencoded {@code &} inside a secret does not end the mask.
     */
    private static final Pattern SECRET_OPTION = Pattern.compile(
            "(?i)([?&][^=&?]*(?:" + SECRET_WORDS + ")[^=&?]*=)(?:(?!&[A-Za-z0-9_.-]+=).)*", Pattern.DOTALL);
    /** A {@code NAME:value} pair inside an option value, like {@code authMechanismProperties=AWS_SESSION_TOKEN:...}. */
    private static final Pattern SECRET_PAIR = Pattern.compile(
            "(?i)((?:[=,]|%2C|%3D)[A-Za-z0-9_.-]*(?:" + SECRET_WORDS + ")[A-Za-z0-9_.-]*(?::|%3A))[^,&]*");
    /** {@code user:password@} of a URL nested in an option and percent-encoded ({@code redis%3A%2F%2Fu%3Ap%40h}). */
    private static final Pattern ENCODED_USER_INFO = Pattern.compile(
            "(?i)(%3A%2F%2F[^%@/?#&]*%3A)(?:(?!%3A%2F%2F)[^&])*(%40|@)");
    /** What a run of bootstrap ports looks like: {@code 9092}, {@code 9092,b:9093}, {@code 27017/db}. */
    private static final Pattern PORTS = Pattern.compile("\\d+(,[^,@]*:\\d+)*(/[^@]*)?");
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
     * @param url the URL text, for example {@code "kafka://localhost:9092?acks=all"}; surrounding blanks are ignored
     * @return the parsed URL, options URL-decoded
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
        // a password may hold an unencoded '?': the query starts after the user info
        int userInfoEnd = rest.startsWith("//") ? userInfoEnd(rest, 2) : -1;
        int query = rest.indexOf('?', userInfoEnd + 1);
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

    /**
     * The same URL with extra options; options already in the URL win.
     *
     * @param defaults options to add when the URL does not set them
     * @return a new URL; this one is unchanged
     */
    public BackendUrl withDefaults(Map<String, String> defaults) {
        Map<String, String> merged = new LinkedHashMap<>(defaults);
        merged.putAll(options);
        return new BackendUrl(raw, scheme, schemeSpecificPart, merged);
    }

    /** {@return the scheme, lower case: {@code "memory"}, {@code "kafka"}, {@code "mongoredis"}} */
    public String scheme() {
        return scheme;
    }

    /** {@return what follows the scheme's colon, without the options: {@code "//host:9092"}} */
    public String schemeSpecificPart() {
        return schemeSpecificPart;
    }

    /**
     * The {@code user:password} (or {@code user}) before the host, as given, credentials included:
     * hand it to clients, never to logs. Found by structure, so a password may hold unencoded
     * {@code / # ? @}: it runs to the last {@code @} before the next nested URL. Empty when the
     * URL has no {@code //} or no user info.
     *
     * @return the user info, or empty when the URL has none
     */
    public Optional<String> userInfo() {
        if (!schemeSpecificPart.startsWith("//")) {
            return Optional.empty();
        }
        int at = userInfoEnd(schemeSpecificPart, 2);
        if (at < 0) {
            // a user without a password, user@host, ends at the first '@' of the authority
            int end = 2;
            while (end < schemeSpecificPart.length() && "/?#@".indexOf(schemeSpecificPart.charAt(end)) < 0) {
                end++;
            }
            at = end < schemeSpecificPart.length() && schemeSpecificPart.charAt(end) == '@' ? end : -1;
        }
        return at < 0 ? Optional.empty() : Optional.of(schemeSpecificPart.substring(2, at));
    }

    /** {@return the URL exactly as given, credentials included: hand it to clients, never to logs} */
    public String raw() {
        return raw;
    }

    /** {@return all options, URL-decoded, in the order the URL gives them} */
    public Map<String, String> options() {
        return options;
    }

    /**
     * One option.
     *
     * @param name the option name, as in the URL
     * @return the option's decoded value (empty text for {@code ?flag}), or empty when the URL does not set it
     */
    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name));
    }

    /** {@return the URL with passwords replaced by {@code ****}, safe for logs and errors} */
    public String masked() {
        return mask(raw);
    }

    /**
     * Masks secrets in any URL-like text, an exception message for example:
     * <ul>
     *   <li>the password of every {@code scheme://user:password@host}, nested URLs included,
     *       up to the last {@code @} before the next URL, so that an unencoded {@code / # ? @} in
     *       it is masked too, and percent-encoded nested URLs alike;</li>
     *   <li>{@code scheme://user:password} whose host was forgotten (anything after the colon
     *       that is not a port);</li>
     *   <li>{@code user:password@host} with no scheme;</li>
     *   <li>the value of every option whose name contains one of password, secret, token, key,
     *       credential, user.info or jaas (any case, nested names like
     *       {@code kafka.ssl.keystore.key} included), and {@code NAME:value} pairs with such
     *       names inside option values ({@code authMechanismProperties=AWS_SESSION_TOKEN:...}).</li>
     * </ul>
     * Masking errs on the side of hiding too much. A numeric password without a host
     * ({@code kafka://user:1234}) cannot be told from {@code host:port} and is shown.
     *
     * @param text any text, may be {@code null}
     * @return {@code text} with secrets replaced by {@code ****}; {@code null} for {@code null}
     */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int authority = bareUserInfo(text) ? 0 : text.indexOf("//");
        while (authority >= 0) {
            int start = authority == 0 && bareUserInfo(text) ? 0 : authority + 2;
            int colon = userColon(text, start);
            if (colon >= 0) {
                int at = userInfoEnd(text, start);
                int end = at >= 0 ? at : notAPort(text, colon);
                if (end > colon + 1) {
                    out.append(text, copied, colon + 1).append(MASK);
                    copied = end;
                }
            }
            authority = text.indexOf("//", Math.max(copied, start));
        }
        out.append(text, copied, text.length());
        String masked = ENCODED_USER_INFO.matcher(out).replaceAll("$1" + MASK + "$2");
        masked = SECRET_OPTION.matcher(masked).replaceAll("$1" + MASK);
        int query = masked.indexOf('?');
        if (query >= 0) {
            masked = masked.substring(0, query) + SECRET_PAIR.matcher(masked.substring(query)).replaceAll("$1" + MASK);
        }
        return masked;
    }

    /**
     * Whether an option name suggests a secret whose value must never be printed.
     *
     * @param name an option name, may be {@code null}
     * @return {@code true} when its value must be masked
     */
    public static boolean isSecretOption(String name) {
        return name != null && SECRET_NAME.matcher(name).matches();
    }

    /** {@code user:password@host} at the start, with no {@code //}: it would parse as scheme "user". */
    private static boolean bareUserInfo(String text) {
        int colon = userColon(text, 0);
        return colon > 0 && !text.startsWith("//", colon + 1) && userInfoEnd(text, 0) >= 0;
    }

    /** The colon ending a user name that starts at {@code start}, or -1. */
    private static int userColon(String text, int start) {
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ':') {
                return i;
            }
            if (c == '/' || c == '@' || c == '?' || c == '#' || c == '&' || Character.isWhitespace(c)) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * The {@code @} ending the {@code user:password@} that starts at {@code start}, or -1: the last
     * {@code @} before the next nested URL, so a password may hold unencoded {@code / # ? @}. When
     * what follows the colon reads as ports and a query whose values hold an {@code @}
     * ({@code host:9092?opt=a@b}), there is no password.
     */
    private static int userInfoEnd(String text, int start) {
        int colon = userColon(text, start);
        if (colon < 0) {
            return -1;
        }
        int nested = text.indexOf("://", colon);
        int limit = nested < 0 ? text.length() : nested;
        int at = text.lastIndexOf('@', limit - 1);
        if (at <= colon) {
            return -1;
        }
        int query = text.indexOf('?', colon);
        if (query >= 0 && query < at && PORTS.matcher(text.substring(colon + 1, query)).matches()
                && text.substring(query, at).contains("=")) {
            int strict = colon + 1;
            while (strict < text.length() && "@/?#".indexOf(text.charAt(strict)) < 0) {
                strict++;
            }
            return strict < text.length() && text.charAt(strict) == '@' ? strict : -1;
        }
        return at;
    }

    /**
     * For {@code scheme://user:password} with no {@code @}: the end of the "port" after
     * {@code colon} when it is no port (so a password), else {@code colon + 1} (nothing to mask).
     */
    private static int notAPort(String text, int colon) {
        int end = colon + 1;
        while (end < text.length() && "/?#,&\"' ".indexOf(text.charAt(end)) < 0 && !Character.isWhitespace(text.charAt(end))) {
            end++;
        }
        String port = text.substring(colon + 1, end);
        if (port.isEmpty() || port.chars().allMatch(Character::isDigit) || text.charAt(colon - 1) == '[') {
            return colon + 1;
        }
        return end;
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
