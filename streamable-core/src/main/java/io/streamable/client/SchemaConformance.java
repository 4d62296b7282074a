package io.streamable.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.streamable.schema.Schema.AnySchema;
import io.streamable.schema.Schema.ArraySchema;
import io.streamable.schema.Schema.EnumSchema;
import io.streamable.schema.Schema.MapSchema;
import io.streamable.schema.Schema.ObjectSchema;
import io.streamable.schema.Schema.Property;
import io.streamable.schema.Schema.RefSchema;
import io.streamable.schema.Schema.ScalarSchema;
import io.streamable.schema.Schema;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Whether a JSON value is one a schema's type could have written: every required property
 * present, no property the schema does not know, every value of the JSON type the schema names.
 * A schemaless producer's payloads are checked this way before they are stamped with a version.
 * {@code null} matches any schema, as a typed producer writes a null field; a
 * {@link RefSchema} (a type containing itself) is not followed.
 */
final class SchemaConformance {
    /** Enough to fix a payload by; a wholly different payload would otherwise list every property. */
    private static final int MAX_PROBLEMS = 8;

    private final List<String> problems = new ArrayList<>();

    private SchemaConformance() {
    }

    /** What does not match, as {@code "$.path: what is wrong"}; empty when the value matches. */
    static List<String> check(JsonNode value, Schema schema) {
        SchemaConformance conformance = new SchemaConformance();
        conformance.visit("$", value, schema);
        return List.copyOf(conformance.problems);
    }

    private void visit(String path, JsonNode value, Schema schema) {
        if (problems.size() >= MAX_PROBLEMS || value == null || value.isNull()
                || schema instanceof AnySchema || schema instanceof RefSchema) {
            return;
        }
        if (schema instanceof ObjectSchema object) {
            if (!value.isObject()) {
                mismatch(path, "an object", value);
                return;
            }
            for (Map.Entry<String, Property> property : object.properties().entrySet()) {
                JsonNode field = value.get(property.getKey());
                if (field == null) {
                    if (property.getValue().required()) {
                        add(path + "." + property.getKey() + ": required but missing");
                    }
                } else {
                    visit(path + "." + property.getKey(), field, property.getValue().schema());
                }
            }
            for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!object.properties().containsKey(name)) {
                    add(path + "." + name + ": not a property of this schema (known: " + object.properties().keySet() + ")");
                }
            }
        } else if (schema instanceof ArraySchema array) {
            if (!value.isArray()) {
                mismatch(path, "an array", value);
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                visit(path + "[" + i + "]", value.get(i), array.items());
            }
        } else if (schema instanceof MapSchema map) {
            if (!value.isObject()) {
                mismatch(path, "an object (a map)", value);
                return;
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                visit(path + "." + field.getKey(), field.getValue(), map.values());
            }
        } else if (schema instanceof EnumSchema enumeration) {
            if (!value.isTextual() || !enumeration.values().contains(value.asText())) {
                add(path + ": expected one of " + enumeration.values() + ", got " + describe(value));
            }
        } else if (schema instanceof ScalarSchema scalar) {
            boolean matches = switch (scalar.json()) {
                case STRING -> value.isTextual();
                case INTEGER -> value.isIntegralNumber()
                        || value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0;
                case NUMBER -> value.isNumber();
                case BOOLEAN -> value.isBoolean();
            };
            if (!matches) {
                mismatch(path, (scalar.json() == Schema.JsonType.INTEGER ? "an " : "a ") + scalar.json(), value);
            }
        }
    }

    private void mismatch(String path, String expected, JsonNode value) {
        add(path + ": expected " + expected + ", got " + describe(value));
    }

    private void add(String problem) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(problem);
        }
    }

    /** The JSON type only: payload values are the application's data, not for error messages. */
    private static String describe(JsonNode value) {
        return switch (value.getNodeType()) {
            case OBJECT, POJO -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> value.isIntegralNumber() ? "an integer" : "a number";
            case BOOLEAN -> "a boolean";
            case BINARY -> "binary data";
            default -> value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
