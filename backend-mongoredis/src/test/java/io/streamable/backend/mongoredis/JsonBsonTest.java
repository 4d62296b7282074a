package io.streamable.backend.mongoredis;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** JSON bytes to embedded BSON and back, without the servers. */
class JsonBsonTest {

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Document decoded(RawBsonDocument raw) {
        return Document.parse(raw.toJson()); // only to compare; the backend hands the driver the raw bytes
    }

    @Test
    @DisplayName("each JSON type becomes its natural BSON type, nested, in key order, and comes back as equal JSON")
    void roundTrip() {
        String json = "{\"name\":\"phil ✓\",\"n\":7,\"big\":10000000000,\"price\":2.5,\"ok\":true,\"no\":false,"
                + "\"none\":null,\"tags\":[\"a\",1,[2.0]],\"address\":{\"city\":\"Zürich\",\"zip\":8000},\"empty\":{}}";
        RawBsonDocument bson = JsonBson.toBson(utf8(json));
        assertThat(bson).isNotNull();
        assertThat(bson.get("n").isInt32()).isTrue();
        assertThat(bson.get("big").isInt64()).isTrue();
        assertThat(bson.get("price").isDouble()).isTrue();
        assertThat(bson.get("ok").asBoolean().getValue()).isTrue();
        assertThat(bson.get("none").isNull()).isTrue();
        assertThat(bson.getDocument("address").getString("city").getValue()).isEqualTo("Zürich");
        assertThat(List.copyOf(bson.keySet())).containsExactly("name", "n", "big", "price", "ok", "no", "none", "tags",
                "address", "empty");

        Document stored = new Document(decodedAsDriverReadsIt(bson));
        assertThat(new String(JsonBson.toJson(stored), StandardCharsets.UTF_8)).isEqualTo(json);
    }

    /** What the driver hands the reader: a Document with Java values (Integer, Long, Double, nested Documents). */
    private static Map<String, Object> decodedAsDriverReadsIt(RawBsonDocument raw) {
        return raw.decode(new org.bson.codecs.DocumentCodec());
    }

    @Test
    @DisplayName("decimal text not written from a double (a BigDecimal's digits and scale) becomes Decimal128 and"
            + " reads back the same; a double's own text stays a double")
    void numbersKeepTheirValue() {
        RawBsonDocument bson = JsonBson.toBson(utf8(
                "{\"exact\":1234567890.123456789012,\"double\":0.30000000000000004,\"huge\":123456789012345678901234567890,"
                        + "\"scaled\":13.50}"));
        assertThat(bson.get("scaled").asDecimal128().getValue().bigDecimalValue()).isEqualTo(new BigDecimal("13.50"));
        assertThat(bson.get("exact").isDecimal128()).isTrue();
        assertThat(bson.get("exact").asDecimal128().getValue().bigDecimalValue())
                .isEqualTo(new BigDecimal("1234567890.123456789012"));
        assertThat(bson.get("double").asDouble().getValue()).isEqualTo(0.30000000000000004);
        assertThat(bson.get("huge").isDecimal128()).isTrue();
        assertThat(new String(JsonBson.toJson(new Document(decodedAsDriverReadsIt(bson))), StandardCharsets.UTF_8))
                .isEqualTo("{\"exact\":1234567890.123456789012,\"double\":0.30000000000000004,"
                        + "\"huge\":123456789012345678901234567890,\"scaled\":13.50}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"a string\"", "42", "[1,2]", "null", "", "{\"a\":1} trailing", "{\"a\":", "not json",
            "{\"$set\":1}", "{\"a.b\":1}", "{\"nested\":{\"$where\":1}}", "{\"nul\\u0000\":1}"})
    @DisplayName("text that is not one JSON object BSON can hold as is (not an object, broken, $ or dots in a name)"
            + " is refused, so the backend keeps it as BinData")
    void refusesWhatBsonCannotHoldAsIs(String json) {
        assertThat(JsonBson.toBson(utf8(json))).isNull();
    }

    @Test
    @DisplayName("BSON types JSON lacks (the prototype's dates, ObjectIds, binary, Decimal128) become the JSON"
            + " Jackson reads into Instant, String, byte[] and BigDecimal")
    void foreignTypes() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("at", new Date(0));
        values.put("id", new ObjectId("0123456789abcdef01234567"));
        values.put("bytes", new Binary(new byte[] {1, 2, 3}));
        values.put("amount", Decimal128.parse("1.10"));
        values.put("nan", Double.NaN);
        assertThat(new String(JsonBson.toJson(new Document(values)), StandardCharsets.UTF_8)).isEqualTo(
                "{\"at\":\"1970-01-01T00:00:00Z\",\"id\":\"0123456789abcdef01234567\",\"bytes\":\"AQID\","
                        + "\"amount\":1.10,\"nan\":\"NaN\"}");
    }

    @Test
    @DisplayName("leading whitespace is allowed, and the document's bytes are exactly the BSON the driver would write")
    void exactBson() {
        RawBsonDocument bson = JsonBson.toBson(utf8("  \n{\"a\":1}"));
        byte[] expected = RawBsonDocument.parse("{\"a\": 1}").getByteBuffer().array();
        byte[] actual = Arrays.copyOf(bson.getByteBuffer().array(), bson.getByteBuffer().remaining());
        assertThat(actual).isEqualTo(Arrays.copyOf(expected, RawBsonDocument.parse("{\"a\": 1}").getByteBuffer()
                .remaining()));
        assertThat(decoded(bson)).isEqualTo(new Document("a", 1));
    }
}
