package io.streamable.schema;

import java.util.Objects;

/**
 * One registered schema version of a topic.
 *
 * @param version  its number: 1, 2, 3, ... in the order the backend stored the registrations
 * @param variant  for a payload type that is a sealed interface, the name of the record this
 *                 schema describes ({@code @JsonTypeName}, else the simple class name); empty for
 *                 a plain payload type. Compatibility is checked between versions of one variant.
 * @param typeName the Java type that first registered it, for reports
 * @param schema   the structure
 */
public record SchemaVersion(int version, String variant, String typeName, Schema schema) {
    /**
     * Checks that the version is at least 1 and the other components are given.
     *
     * @param version  its number: 1, 2, 3, ... in the order the backend stored the registrations
     * @param variant  for a payload type that is a sealed interface, the name of the record this
     *        schema describes ({@code @JsonTypeName}, else the simple class name); empty for
     *        a plain payload type. Compatibility is checked between versions of one variant.
     * @param typeName the Java type that first registered it, for reports
     * @param schema   the structure
     */
    public SchemaVersion {
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, got " + version);
        }
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(typeName, "typeName");
        Objects.requireNonNull(schema, "schema");
    }
}
