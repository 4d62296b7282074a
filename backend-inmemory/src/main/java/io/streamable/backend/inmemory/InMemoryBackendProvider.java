package io.streamable.backend.inmemory;

import io.streamable.backend.Backend;
import io.streamable.backend.BackendProvider;
import io.streamable.backend.BackendUrl;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens {@code memory:} URLs. {@code memory:} alone gives a private store that lives as long as
 * its connection; {@code memory:NAME} gives a store shared by every connection of this JVM that
 * names it, kept until the JVM exits, so a consumer can be closed and resumed on a new connection.
 *
 * <p>Option {@code leaseTtl} (for example {@code memory:orders?leaseTtl=2s}; {@code 500ms},
 * {@code 2m} and ISO-8601 {@code PT2S} also work; default 10 s, at least 300 ms): how long a named
 * consumer's lease outlives its last renewal. The connection renews it every third of that; a
 * consumer whose lease expired unrenewed may be taken over and is then fenced.
 *
 * <p>Named consumers are consumer groups. Option {@code slots} (default
 * {@link io.streamable.Slots#DEFAULT_COUNT}, 1 to 4096): the slot count of the groups this
 * connection creates; a group keeps the count it was created with, and joining it with another
 * explicit count fails. Option {@code rebalanceDelay} (default 250 ms, at most 5 s): how long
 * membership must be still before a group's slots are reassigned, so a member that stops and one
 * that starts right after it move the slots once.
 *
 * <p>Retention (issue 17) has the same semantics as on the server backends: a topic's limits
 * remove its oldest records on every append and, for age limits, on a sweep every half second of
 * each open connection; never the newest record, and offsets are never reused. A reader behind
 * the removed prefix resumes at the oldest record kept and reports the gap. {@code createdAt} is
 * taken under the topic's lock, so the time search of {@code StartFrom.at} is a plain binary search.
 */
public final class InMemoryBackendProvider implements BackendProvider {
    /** The lease time to live when the URL gives none, the same as the server backends'. */
    static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    private static final Duration MIN_LEASE_TTL = Duration.ofMillis(300);
    /** How long a group's membership must be still before its slots are reassigned, when the URL gives none. */
    static final Duration DEFAULT_REBALANCE_DELAY = Duration.ofMillis(250);
    private static final Duration MAX_REBALANCE_DELAY = Duration.ofSeconds(5);
    private static final int MAX_SLOTS = 4096;
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    private static final Map<String, InMemoryStorage> NAMED = new ConcurrentHashMap<>();

    @Override
    public String scheme() {
        return "memory";
    }

    @Override
    public String artifact() {
        return "io.streamable:backend-inmemory";
    }

    @Override
    public Backend open(BackendUrl url) {
        String name = url.schemeSpecificPart().replaceFirst("^//", "");
        if (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        InMemoryStorage storage = name.isEmpty() ? new InMemoryStorage() : NAMED.computeIfAbsent(name, n -> new InMemoryStorage());
        return new InMemoryBackend(storage, url.masked(), leaseTtl(url),
                new InMemoryTopic.GroupOptions(slots(url), rebalanceDelay(url)));
    }

    private static Optional<Integer> slots(BackendUrl url) {
        String text = url.option("slots").map(String::trim).orElse("");
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            int slots = Integer.parseInt(text);
            if (slots >= 1 && slots <= MAX_SLOTS) {
                return Optional.of(slots);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("Invalid in-memory backend URL " + url.masked() + ": slots=" + text
                + " is not a whole number from 1 to " + MAX_SLOTS + " (default " + io.streamable.Slots.DEFAULT_COUNT + ")");
    }

    private static Duration rebalanceDelay(BackendUrl url) {
        String text = url.option("rebalanceDelay").map(String::trim).orElse("");
        if (text.isEmpty()) {
            return DEFAULT_REBALANCE_DELAY;
        }
        Duration parsed = duration(text);
        if (parsed == null || parsed.compareTo(MAX_REBALANCE_DELAY) > 0) {
            throw new IllegalArgumentException("Invalid in-memory backend URL " + url.masked() + ": rebalanceDelay=" + text
                    + " is not a duration of at most " + MAX_REBALANCE_DELAY.toSeconds() + "s; write for example 0ms,"
                    + " 250ms or PT0.5S (default " + DEFAULT_REBALANCE_DELAY.toMillis() + "ms)");
        }
        return parsed;
    }

    private static Duration leaseTtl(BackendUrl url) {
        String text = url.option("leaseTtl").map(String::trim).orElse("");
        if (text.isEmpty()) {
            return DEFAULT_LEASE_TTL;
        }
        Duration parsed = duration(text);
        if (parsed == null || parsed.compareTo(MIN_LEASE_TTL) < 0) {
            throw new IllegalArgumentException("Invalid in-memory backend URL " + url.masked() + ": leaseTtl=" + text
                    + " is not a duration of at least " + MIN_LEASE_TTL.toMillis() + "ms; write for example 500ms,"
                    + " 2s or PT2S (default " + DEFAULT_LEASE_TTL.toSeconds() + "s)");
        }
        return parsed;
    }

    /** {@code 500ms}, {@code 2s}, {@code 2m}, {@code 1h}, a bare number of milliseconds, or ISO-8601; null if none. */
    private static Duration duration(String text) {
        Duration parsed = null;
        Matcher matcher = DURATION.matcher(text.toLowerCase(Locale.ROOT));
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            parsed = switch (matcher.group(2) == null ? "ms" : matcher.group(2)) {
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofMillis(amount);
            };
        } else {
            try {
                parsed = Duration.parse(text);
            } catch (DateTimeParseException ignored) {
                // reported below
            }
        }
        return parsed != null && parsed.isNegative() ? null : parsed;
    }
}
