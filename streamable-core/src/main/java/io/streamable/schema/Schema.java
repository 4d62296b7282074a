package io.streamable.schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The structural description of a payload type as JSON sees it: objects with named, required or
 * optional properties, arrays, maps, enums and scalar JSON types. Derived from the Java type by
 * Jackson's own introspection (see {@link SchemaRegistry#schemaOf(io.streamable.PayloadType)}),
 * stored with every schema version of a topic, and compared to decide compatibility.
 *
 * <p>Schemas are immutable values: two schemas are equal when they describe the same structure,
 * whatever the Java classes behind them are called.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Schema.ObjectSchema.class, name = "object"),
        @JsonSubTypes.Type(value = Schema.ArraySchema.class, name = "array"),
        @JsonSubTypes.Type(value = Schema.MapSchema.class, name = "map"),
        @JsonSubTypes.Type(value = Schema.EnumSchema.class, name = "enum"),
        @JsonSubTypes.Type(value = Schema.ScalarSchema.class, name = "scalar"),
        @JsonSubTypes.Type(value = Schema.AnySchema.class, name = "any"),
        @JsonSubTypes.Type(value = Schema.RefSchema.class, name = "ref")
})
public sealed interface Schema {

    /** {@return a short description for reports: {@code "string"}, {@code "array of integer"}, {@code "object"}} */
    String describe();

    /** The scalar JSON types. */
    enum JsonType {
        /** A JSON string. */
        STRING,
        /** A JSON number without a fraction. */
        INTEGER,
        /** Any JSON number, with or without a fraction. */
        NUMBER,
        /** A JSON boolean. */
        BOOLEAN;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One property of an object.
     *
     * @param schema       the property's value
     * @param required     whether every message must carry it (see {@link SchemaRegistry} for the rule)
     * @param defaultValue the default declared with {@code @JsonProperty(defaultValue = ...)}, or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Property(Schema schema, boolean required, String defaultValue) {
        /**
         * Checks that a schema is given.
         *
         * @param schema       the property's value
         * @param required     whether every message must carry it
         * @param defaultValue the declared default, or null
         */
        public Property {
            Objects.requireNonNull(schema, "schema");
        }
    }

    /**
     * A JSON object with known properties; properties a reader does not know are ignored.
     *
     * @param properties by JSON name, sorted
     */
    record ObjectSchema(SortedMap<String, Property> properties) implements Schema {
        /**
         * Copies and sorts {@code properties}.
         *
         * @param properties by JSON name
         */
        public ObjectSchema {
            properties = Collections.unmodifiableSortedMap(new TreeMap<>(properties));
        }

        /**
         * A schema with these properties, sorted by name.
         *
         * @param properties by JSON name, in any order
         * @return the schema
         */
        public static ObjectSchema of(Map<String, Property> properties) {
            return new ObjectSchema(new TreeMap<>(properties));
        }

        @Override
        public String describe() {
            return "object";
        }
    }

    /** A JSON array, also for Java collections and arrays. */
    record ArraySchema(Schema items) implements Schema {
        /**
         * Checks that an item schema is given.
         *
         * @param items the schema of every item
         */
        public ArraySchema {
            Objects.requireNonNull(items, "items");
        }

        @Override
        public String describe() {
            return "array of " + items.describe();
        }
    }

    /** A JSON object used as a map: string keys, values of one schema. */
    record MapSchema(Schema values) implements Schema {
        /**
         * Checks that a value schema is given.
         *
         * @param values the schema of every value
         */
        public MapSchema {
            Objects.requireNonNull(values, "values");
        }

        @Override
        public String describe() {
            return "map of " + values.describe();
        }
    }

    /** A string restricted to known values: a Java enum, by its JSON names. */
    record EnumSchema(SortedSet<String> values) implements Schema {
        /**
         * Copies and sorts {@code values}.
         *
         * @param values the enum's JSON names
         */
        public EnumSchema {
            values = Collections.unmodifiableSortedSet(new TreeSet<>(values));
        }

        @Override
        public String describe() {
            return "enum " + values;
        }
    }

    /** A string, integer, number or boolean. */
    record ScalarSchema(JsonType json) implements Schema {
        /**
         * Checks that a type is given.
         *
         * @param json the scalar JSON type
         */
        public ScalarSchema {
            Objects.requireNonNull(json, "json");
        }

        @Override
        public String describe() {
            return json.toString();
        }
    }

    /** Any JSON value: {@code Object}, {@code JsonNode} and types Jackson cannot describe. */
    record AnySchema() implements Schema {
        @Override
        public String describe() {
            return "any";
        }
    }

    /**
     * A reference back to an enclosing object type, where a type contains itself (a tree node's
     * children); compared by name only.
     */
    record RefSchema(String name) implements Schema {
        /**
         * Checks that a name is given.
         *
         * @param name the referenced object type's name
         */
        public RefSchema {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String describe() {
            return "reference to " + name;
        }
    }
}
