package io.streamable.cli;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Reads the instants {@code --from} and {@code --to} take: ISO-8601 with a zone, {@code 2026-12-01T10:00:00Z}. */
final class Instants {
    private Instants() {
    }

    static Instant parse(String option, String text) {
        try {
            return OffsetDateTime.parse(text.trim()).toInstant(); // also takes +01:00 offsets, and Z
        } catch (DateTimeParseException e) {
            throw new UsageException(option + " " + text + ": not an instant; write ISO-8601 with a zone, for example"
                    + " 2026-12-01T10:00:00Z or 2026-12-01T11:00:00+01:00 (" + e.getMessage() + ")", e);
        }
    }
}
