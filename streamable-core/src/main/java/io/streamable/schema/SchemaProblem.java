package io.streamable.schema;

import java.util.Objects;

/**
 * One reason a payload type breaks a topic's compatibility mode.
 *
 * @param path               the property, for example {@code "lines[].sku"}; {@code "(payload)"}
 *                           for the payload itself. {@code []} stands for any element of an
 *                           array, {@code {}} for any value of a map.
 * @param change             what changed, in words
 * @param conflictingVersion the stored schema version it conflicts with
 * @param fix                how to fix it
 */
public record SchemaProblem(String path, String change, int conflictingVersion, String fix) {
    /**
     * Checks that path, change and fix are given.
     *
     * @param path               the property, for example {@code "lines[].sku"}; {@code "(payload)"}
     *        for the payload itself. {@code []} stands for any element of an
     *        array, {@code {}} for any value of a map.
     * @param change             what changed, in words
     * @param conflictingVersion the stored schema version it conflicts with
     * @param fix                how to fix it
     */
    public SchemaProblem {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(fix, "fix");
    }

    @Override
    public String toString() {
        return path + ": " + change + " Fix: " + fix;
    }
}
