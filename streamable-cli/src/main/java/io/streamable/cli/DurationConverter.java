package io.streamable.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads durations the way backend URLs write them: {@code 500ms}, {@code 1s}, {@code 2m},
 * {@code 1h}, {@code 7d}, a bare number of milliseconds, or ISO-8601 ({@code PT2S}). Zero is allowed (an
 * option that must be positive says so itself); negative durations are refused.
 */
final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    @Override
    public Duration convert(String value) {
        String text = value.trim().toLowerCase(Locale.ROOT);
        Matcher matcher = SHORT.matcher(text);
        try {
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                String unit = matcher.group(2) == null ? "ms" : matcher.group(2);
                return switch (unit) {
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    case "d" -> Duration.ofDays(amount);
                    default -> Duration.ofMillis(amount);
                };
            }
            Duration parsed = Duration.parse(value.trim());
            if (!parsed.isNegative()) {
                return parsed;
            }
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            // reported below, with the accepted forms
        }
        throw new TypeConversionException("'" + value + "' is not a duration; write for example 500ms, 1s, 2m or PT2S (7d for days)");
    }
}
