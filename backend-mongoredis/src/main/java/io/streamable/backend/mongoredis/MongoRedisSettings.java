package io.streamable.backend.mongoredis;

import com.mongodb.ConnectionString;
import com.mongodb.ReadConcern;
import com.mongodb.WriteConcern;
import io.streamable.Slots;
import io.streamable.backend.BackendUrl;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code mongoredis:} URL: what goes to the MongoDB driver, what goes to Redis, and
 * this backend's own options.
 *
 * @param mongo       the MongoDB connection string, credentials included: never log it
 * @param database    the database holding the topics
 * @param redis       the Redis URL, credentials included, or empty to rely on the safety poll
 * @param redisTls    whether Redis is spoken to over TLS
 * @param safetyPoll  how often a waiting reader looks at MongoDB without a signal
 * @param leaseTtl    how long a named reader's lease outlives its last heartbeat
 * @param masked      the whole URL with passwords masked, for logs and errors
 * @param formats     how payloads are stored and whether the TypeScript prototype's signals are kept up
 * @param groups      the consumer group options: slot count and rebalance delay
 */
record MongoRedisSettings(ConnectionString mongo, String database, Optional<URI> redis, boolean redisTls,
                          Duration safetyPoll, Duration leaseTtl, String masked, Formats formats, Groups groups) {

    /**
     * The storage-format options, together so that other options can grow without touching them.
     *
     * @param bsonPayloads     JSON-object payloads stored as embedded documents ({@code payloads=bson},
     *                         the default) rather than BinData ({@code payloads=binary})
     * @param prototypeSignals also publish and listen on the prototype's {@code TOPIC-<name>} channel
     *                         and advance its {@code nextids} counter past every id this backend writes
     */
    record Formats(boolean bsonPayloads, boolean prototypeSignals) {
    }

    /**
     * The consumer group options.
     *
     * @param slots          the slot count this connection asks for ({@code slots=N}), empty when the URL gives
     *                       none: a topic's count is recorded the first time it is used
     *                       ({@link MongoTopicStore#slotCount()}), and a connection without the option takes the
     *                       recorded one, {@value #DEFAULT_SLOTS} for a topic new to it
     * @param rebalanceDelay how long a group's membership must be still before its slots are reassigned
     *                       ({@code rebalanceDelay}); zero reassigns at once
     */
    record Groups(OptionalInt slots, Duration rebalanceDelay) {
    }

    static final String PAYLOADS = "payloads";
    static final String PROTOTYPE_SIGNALS = "prototypeSignals";

    static final String REDIS = "redis";
    static final String SAFETY_POLL = "safetyPoll";
    static final String LEASE_TTL = "leaseTtl";
    static final Duration DEFAULT_SAFETY_POLL = Duration.ofSeconds(3);
    static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    static final String DEFAULT_DATABASE = "streamable";

    static final String SLOTS = "slots";
    static final String REBALANCE_DELAY = "rebalanceDelay";
    /** The slot count of a topic whose first user gave none, and of every topic written before the option. */
    static final int DEFAULT_SLOTS = Slots.DEFAULT_COUNT;
    /**
     * The most slots a topic may have: a group document holds every slot's state and a member's
     * query lists its slots, so both grow with the count; 1024 keeps them a few tens of kilobytes.
     */
    static final int MAX_SLOTS = 1024;
    static final Duration DEFAULT_REBALANCE_DELAY = Duration.ofMillis(750);
    /** Longer than this, a rolling restart would leave slots unread for minutes: almost certainly a mistake. */
    static final Duration MAX_REBALANCE_DELAY = Duration.ofMinutes(1);

    private static final Set<String> OWN_OPTIONS = Set.of(REDIS, SAFETY_POLL, LEASE_TTL, PAYLOADS, PROTOTYPE_SIGNALS,
            SLOTS, REBALANCE_DELAY);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    private static final Pattern DATABASE = Pattern.compile("[^/\\\\. \"$*<>:|?]{1,63}");
    private static final String EXAMPLE = "mongoredis://localhost:27017/topics?redis=redis://localhost:6379";

    /** Appends, positions and leases are written with it: the URL's {@code w} (never 0), else majority. */
    WriteConcern writeConcern() {
        WriteConcern configured = mongo.getWriteConcern();
        return configured == null ? WriteConcern.MAJORITY : configured;
    }

    /** Readers query with it: the URL's {@code readConcernLevel}, else majority, so a read id is never rolled back. */
    ReadConcern readConcern() {
        ReadConcern configured = mongo.getReadConcern();
        return configured == null || configured.isServerDefault() ? ReadConcern.MAJORITY : configured;
    }

    @Override
    public String toString() {
        return "MongoRedisSettings[" + masked + ", safetyPoll=" + safetyPoll + ", leaseTtl=" + leaseTtl
                + ", slots=" + (groups.slots().isPresent() ? Integer.toString(groups.slots().getAsInt()) : "as recorded")
                + ", rebalanceDelay=" + groups.rebalanceDelay() + "]";
    }

    static MongoRedisSettings parse(BackendUrl url) {
        String masked = url.masked();
        String rest = url.schemeSpecificPart();
        if (!rest.startsWith("//") || rest.length() == 2) {
            throw invalid(masked, "it names no MongoDB host");
        }
        String authorityAndPath = rest.substring(2);
        // a password may hold an unencoded '/': the path starts after the user info
        int slash = authorityAndPath.indexOf('/', url.userInfo().map(info -> info.length() + 1).orElse(0));
        String hosts = slash < 0 ? authorityAndPath : authorityAndPath.substring(0, slash);
        String database = slash < 0 ? "" : authorityAndPath.substring(slash + 1);
        if (database.isEmpty()) {
            database = DEFAULT_DATABASE;
        }
        if (!DATABASE.matcher(database).matches()) {
            throw invalid(masked, "\"" + database + "\" is not a MongoDB database name (1-63 characters, none of"
                    + " / \\ . space \" $ * < > : | ?)");
        }
        if (hosts.isEmpty() || hosts.startsWith("@") || hosts.endsWith("@")) {
            throw invalid(masked, "it names no MongoDB host");
        }

        StringJoiner mongoOptions = new StringJoiner("&");
        for (Map.Entry<String, String> option : url.options().entrySet()) {
            if (!OWN_OPTIONS.contains(option.getKey())) {
                mongoOptions.add(encode(option.getKey()) + "=" + encode(option.getValue()));
            }
        }
        String connection = "mongodb://" + hosts + "/" + database
                + (mongoOptions.length() == 0 ? "" : "?" + mongoOptions);
        ConnectionString mongo;
        try {
            mongo = new ConnectionString(connection);
        } catch (IllegalArgumentException e) {
            throw invalid(masked, "the MongoDB driver rejects it: " + BackendUrl.mask(e.getMessage()));
        }

        WriteConcern writeConcern = mongo.getWriteConcern();
        if (writeConcern != null && (!writeConcern.isAcknowledged() || Boolean.FALSE.equals(writeConcern.getJournal()))) {
            throw invalid(masked, "w=0 and journal=false cannot give an append a durable position; remove them"
                    + " (appends, positions and leases are written with w=majority unless w is set)");
        }
        boolean tls = isTrue(url.option("tls")) || isTrue(url.option("ssl"));
        Optional<URI> redis = redisUri(url, masked);
        boolean redisTls = redis.map(uri -> "rediss".equals(uri.getScheme()) || tls).orElse(false);
        Duration safetyPoll = duration(url, SAFETY_POLL, DEFAULT_SAFETY_POLL, masked);
        Duration leaseTtl = duration(url, LEASE_TTL, DEFAULT_LEASE_TTL, masked);
        if (leaseTtl.toMillis() < 300) {
            throw invalid(masked, "leaseTtl=" + url.option(LEASE_TTL).orElse("") + " is too short; heartbeats run every"
                    + " third of it, use at least 300ms (default " + DEFAULT_LEASE_TTL.toSeconds() + "s)");
        }
        return new MongoRedisSettings(mongo, database, redis, redisTls, safetyPoll, leaseTtl, masked,
                formats(url, masked), groups(url, masked));
    }

    private static Groups groups(BackendUrl url, String masked) {
        String text = url.option(SLOTS).map(String::trim).orElse("");
        OptionalInt slots = OptionalInt.empty();
        if (!text.isEmpty()) {
            int count = -1;
            if (text.matches("\\d{1,9}")) {
                count = Integer.parseInt(text);
            }
            if (count < 1 || count > MAX_SLOTS) {
                throw invalid(masked, SLOTS + "=" + text + " is not a whole number from 1 to " + MAX_SLOTS
                        + "; it is the number of slots a topic's keys are split into for consumer groups (default "
                        + DEFAULT_SLOTS + ", fixed when the topic is first used)");
            }
            slots = OptionalInt.of(count);
        }
        Duration delay = DEFAULT_REBALANCE_DELAY;
        Optional<String> delayText = url.option(REBALANCE_DELAY).map(String::trim).filter(v -> !v.isEmpty());
        if (delayText.isPresent()) {
            Duration parsed = parseDuration(delayText.get());
            if (parsed == null || parsed.isNegative() || parsed.compareTo(MAX_REBALANCE_DELAY) > 0) {
                throw invalid(masked, REBALANCE_DELAY + "=" + delayText.get() + " is not a duration from 0 to "
                        + MAX_REBALANCE_DELAY.toSeconds() + "s; write for example 0ms, 250ms, 2s or PT0.5S (default "
                        + DEFAULT_REBALANCE_DELAY.toMillis() + "ms)");
            }
            delay = parsed;
        }
        return new Groups(slots, delay);
    }

    private static Formats formats(BackendUrl url, String masked) {
        String payloads = url.option(PAYLOADS).map(v -> v.trim().toLowerCase(Locale.ROOT)).orElse("bson");
        if (!payloads.equals("bson") && !payloads.equals("binary")) {
            throw invalid(masked, "payloads=" + payloads + " is not a payload format; use payloads=bson (JSON payloads"
                    + " as embedded documents, the default) or payloads=binary (BinData, readable by versions before"
                    + " embedded documents)");
        }
        String prototype = url.option(PROTOTYPE_SIGNALS).map(v -> v.trim().toLowerCase(Locale.ROOT)).orElse("false");
        if (!prototype.equals("true") && !prototype.equals("false")) {
            throw invalid(masked, "prototypeSignals=" + prototype + " is not true or false");
        }
        return new Formats(payloads.equals("bson"), prototype.equals("true"));
    }

    private static Optional<URI> redisUri(BackendUrl url, String masked) {
        String value = url.option(REDIS).map(String::trim).orElse(null);
        if (value == null || value.isEmpty()) {
            throw invalid(masked, "it has no redis option; add ?redis=redis://host:6379 for wake-up signals, or"
                    + " ?redis=none to have consumers find new messages by the safety poll alone");
        }
        if (value.equalsIgnoreCase("none")) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(withEncodedUserInfo(value));
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("redis") && !scheme.equals("rediss") || uri.getHost() == null) {
                throw invalid(masked, "redis=" + BackendUrl.mask(value) + " is not a Redis URL; use"
                        + " redis://[user:password@]host[:port][/db] or rediss:// for TLS");
            }
            return Optional.of(uri);
        } catch (URISyntaxException e) {
            throw invalid(masked, "redis=" + BackendUrl.mask(value) + " is not a URL: "
                    + BackendUrl.mask(e.getReason()));
        }
    }

    /**
     * The nested Redis URL with its user and password percent-encoded again: the option arrives
     * decoded, so a password written correctly as {@code p%40ss} is {@code p@ss} here, and
     * {@link URI} would take the text after its {@code @} for the host. The host follows the last
     * {@code @}; the Redis client decodes the user info back.
     */
    static String withEncodedUserInfo(String value) {
        int scheme = value.indexOf("://");
        int at = value.lastIndexOf('@');
        if (scheme < 0 || at < scheme + 3) {
            return value;
        }
        String userInfo = value.substring(scheme + 3, at);
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        String encoded = encodeUserInfoPart(user)
                + (colon < 0 ? "" : ":" + encodeUserInfoPart(userInfo.substring(colon + 1)));
        return value.substring(0, scheme + 3) + encoded + value.substring(at);
    }

    private static String encodeUserInfoPart(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static Duration duration(BackendUrl url, String name, Duration fallback, String masked) {
        Optional<String> value = url.option(name).map(String::trim);
        if (value.isEmpty() || value.get().isEmpty()) {
            return fallback;
        }
        String text = value.get();
        Duration parsed = parseDuration(text);
        if (parsed == null || parsed.isNegative() || parsed.isZero()) {
            throw invalid(masked, name + "=" + text + " is not a positive duration; write for example 500ms, 3s, 2m"
                    + " or PT3S (default " + fallback.toMillis() + "ms)");
        }
        return parsed;
    }

    /**
     * {@code 500ms}, {@code 3s}, {@code 2m}, {@code 1h}, a bare number of milliseconds, or ISO-8601
     * ({@code PT3S}); null when it is none of them or too large to count in milliseconds.
     */
    static Duration parseDuration(String text) {
        Matcher matcher = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        Duration parsed = null;
        try {
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
                parsed = switch (unit) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofMillis(amount);
                };
            } else {
                parsed = Duration.parse(text);
            }
            parsed.toMillis(); // the backend counts in milliseconds: a larger duration is no duration here
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException ignored) {
            return null; // reported by the caller, with the option's name
        }
        return parsed;
    }

    private static boolean isTrue(Optional<String> value) {
        return value.map(v -> v.trim().equalsIgnoreCase("true")).orElse(false);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException invalid(String masked, String problem) {
        return new IllegalArgumentException("Invalid mongoredis URL " + masked + ": " + problem + ". Example: " + EXAMPLE);
    }
}
