package io.streamable.tck;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The payload types the contract suite sends through a backend. Public so any codec can reach them. */
public final class ContractPayloads {
    private ContractPayloads() {
    }

    /**
     * The suite's everyday payload.
     *
     * @param key    the sharding key it was sent under, so the order per key can be checked
     * @param source which producer sent it
     * @param seq    its number within its producer
     */
    public record Event(String key, int source, int seq) {
        /**
         * An event from producer 0.
         *
         * @param key the sharding key
         * @param seq its number within producer 0
         * @return the event
         */
        public static Event of(String key, int seq) {
            return new Event(key, 0, seq);
        }
    }

    /** A type no {@link Event} decodes as: {@code key} must be a number. */
    public record NumberKey(int key) {
    }

    /** A nested value inside {@link Rich}. */
    public record Inner(String name, List<Integer> values) {
    }

    /** An enum inside {@link Rich}. */
    public enum Size {
        /** The first value. */
        SMALL,
        /** The second value. */
        LARGE
    }

    /** A payload with every kind of field a JSON codec must carry intact. */
    public record Rich(String text, int number, long big, double ratio, boolean flag, BigDecimal amount,
                       Instant instant, LocalDate date, LocalDateTime localDateTime, OffsetDateTime offsetDateTime,
                       Duration duration, Optional<String> present, Optional<String> absent,
                       Optional<Inner> nested, List<String> tags, Map<String, Integer> counts, Size size) {

        /**
         * A sample with awkward values: unicode, quotes, nanoseconds, an offset, an empty Optional.
         *
         * @return the sample, the same on every call
         */
        public static Rich sample() {
            Map<String, Integer> counts = new LinkedHashMap<>();
            counts.put("apples", 3);
            counts.put("pears", -7);
            return new Rich("Grüße, \"world\" 🌍\nline two\ttab", 42, Long.MAX_VALUE, 0.1, true,
                    new BigDecimal("12345.6789"), Instant.parse("2026-03-01T10:15:30.123456789Z"),
                    LocalDate.of(2026, 2, 28), LocalDateTime.of(2026, 12, 31, 23, 59, 59, 999_000_000),
                    OffsetDateTime.of(2026, 6, 1, 8, 0, 0, 0, ZoneOffset.ofHours(2)), Duration.ofMillis(3_723_004),
                    Optional.of("here"), Optional.empty(), Optional.of(new Inner("inner", List.of(1, 2, 3))),
                    List.of("a", "b", ""), counts, Size.LARGE);
        }
    }
}
