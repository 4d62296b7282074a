package io.streamable.client;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.Schema.AnySchema;
import io.streamable.schema.Schema.ArraySchema;
import io.streamable.schema.Schema.EnumSchema;
import io.streamable.schema.Schema.JsonType;
import io.streamable.schema.Schema.MapSchema;
import io.streamable.schema.Schema.ObjectSchema;
import io.streamable.schema.Schema.Property;
import io.streamable.schema.Schema.RefSchema;
import io.streamable.schema.Schema.ScalarSchema;
import io.streamable.schema.Schema;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class SchemaDeriverTest {
    private final SchemaDeriver deriver = new SchemaDeriver(JsonCodecFactory.newObjectMapper());

    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.TYPE_USE})
    @interface Nullable {
    }

    record FieldAnnotated(@Nullable2 String a, String b) {
    }

    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.FIELD})
    @interface Nullable2 {
    }

    enum Status { OPEN, PAID, @JsonProperty("cancelled") CANCELLED }

    record Line(String sku, int quantity, BigDecimal price) {
    }

    record Order(String id, long cents, boolean express, double weight, Instant placedAt, LocalDate due, UUID ref,
                 Status status, List<Line> lines, Map<String, Integer> counts, Set<String> tags,
                 Optional<String> note, OptionalInt priority, @Nullable String coupon,
                 @JsonProperty(defaultValue = "EUR") String currency,
                 @JsonProperty(required = true) Optional<String> channel,
                 byte[] signature, Object extra) {
    }

    record Tree(String label, List<Tree> children) {
    }

    private static ObjectSchema object(Schema schema) {
        assertThat(schema).isInstanceOf(ObjectSchema.class);
        return (ObjectSchema) schema;
    }

    @Test
    @DisplayName("a record becomes an object whose properties carry JSON types as the mapper writes them")
    void jsonTypes() {
        Map<String, Property> p = object(deriver.derive(Order.class)).properties();
        assertThat(p.get("id").schema()).isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("cents").schema()).isEqualTo(new ScalarSchema(JsonType.INTEGER));
        assertThat(p.get("express").schema()).isEqualTo(new ScalarSchema(JsonType.BOOLEAN));
        assertThat(p.get("weight").schema()).isEqualTo(new ScalarSchema(JsonType.NUMBER));
        assertThat(p.get("placedAt").schema()).as("java.time as ISO-8601 text").isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("due").schema()).isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("ref").schema()).isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("signature").schema()).as("byte[] is base64 text").isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("extra").schema()).isEqualTo(new AnySchema());
        assertThat(p.get("status").schema()).isEqualTo(new EnumSchema(new java.util.TreeSet<>(List.of("OPEN", "PAID", "cancelled"))));
    }

    @Test
    @DisplayName("lists, sets and maps are arrays and maps of their element schema; nested records are objects")
    void containers() {
        Map<String, Property> p = object(deriver.derive(Order.class)).properties();
        Schema lines = p.get("lines").schema();
        assertThat(lines).isInstanceOf(ArraySchema.class);
        Map<String, Property> line = object(((ArraySchema) lines).items()).properties();
        assertThat(line.keySet()).containsExactlyInAnyOrder("sku", "quantity", "price");
        assertThat(line.get("price").schema()).isEqualTo(new ScalarSchema(JsonType.NUMBER));
        assertThat(p.get("counts").schema()).isEqualTo(new MapSchema(new ScalarSchema(JsonType.INTEGER)));
        assertThat(p.get("tags").schema()).isEqualTo(new ArraySchema(new ScalarSchema(JsonType.STRING)));
    }

    @Test
    @DisplayName("Optional, OptionalInt, @Nullable and a declared default make a property optional; everything else is required")
    void requiredOrOptional() {
        Map<String, Property> p = object(deriver.derive(Order.class)).properties();
        assertThat(p.get("note").required()).isFalse();
        assertThat(p.get("note").schema()).as("Optional<String> is a string that may be absent")
                .isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(p.get("priority").required()).isFalse();
        assertThat(p.get("coupon").required()).isFalse();
        assertThat(p.get("currency").required()).isFalse();
        assertThat(p.get("currency").defaultValue()).isEqualTo("EUR");
        assertThat(p.get("channel").required()).as("@JsonProperty(required = true) wins").isTrue();
        assertThat(p.get("id").required()).isTrue();
        assertThat(p.get("cents").required()).isTrue();
        assertThat(p.get("lines").required()).isTrue();
    }

    @Test
    @DisplayName("a Nullable annotation is found on the record's field too, and only its simple name matters")
    void fieldOnlyNullable() {
        Map<String, Property> p = object(deriver.derive(FieldAnnotated.class)).properties();
        assertThat(p.get("b").required()).isTrue();
        assertThat(p.get("a").required()).as("@Nullable2 is not named Nullable").isTrue();
        record WithFieldNullable(@FieldOnly.Nullable String a) {
        }
        assertThat(object(deriver.derive(WithFieldNullable.class)).properties().get("a").required()).isFalse();
    }

    /** Holds a FIELD-only annotation called Nullable. */
    static final class FieldOnly {
        @Retention(RetentionPolicy.RUNTIME)
        @Target({ElementType.FIELD})
        @interface Nullable {
        }
    }

    @Test
    @DisplayName("String and Integer are plain payloads, not versions of the JDK's sealed ConstantDesc")
    void jdkSealedTypesAreNotFamilies() {
        assertThat(DefaultSchemaRegistry.Variant.of(io.streamable.PayloadType.of(String.class)))
                .singleElement().satisfies(v -> assertThat(v.name()).isEmpty());
        assertThat(DefaultSchemaRegistry.Variant.family(Integer.class)).isEmpty();
    }

    @Test
    @DisplayName("a type that contains itself ends in a reference instead of recursing forever")
    void recursion() {
        Map<String, Property> p = object(deriver.derive(Tree.class)).properties();
        assertThat(p.get("children").schema()).isEqualTo(new ArraySchema(new RefSchema(Tree.class.getName())));
    }

    @Test
    @DisplayName("the same structure under another class name is the same schema")
    void structuralEquality() {
        record A(String id, Optional<Integer> n) {
        }
        record B(String id, Optional<Integer> n) {
        }
        assertThat(deriver.derive(A.class)).isEqualTo(deriver.derive(B.class));
    }

    @Test
    @DisplayName("scalars and generic containers as whole payloads")
    void wholePayloads() {
        assertThat(deriver.derive(String.class)).isEqualTo(new ScalarSchema(JsonType.STRING));
        assertThat(deriver.derive(Integer.class)).isEqualTo(new ScalarSchema(JsonType.INTEGER));
    }
}
