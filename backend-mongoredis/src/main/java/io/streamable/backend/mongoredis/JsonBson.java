package io.streamable.backend.mongoredis;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import org.bson.BsonBinaryReader;
import org.bson.BsonBinaryWriter;
import org.bson.BsonReader;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.codecs.BsonValueCodec;
import org.bson.codecs.DecoderContext;
import org.bson.BsonSerializationException;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.io.BasicOutputBuffer;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * JSON payloads as embedded BSON documents, and back, in one streaming pass each way (Jackson's
 * streaming parser and generator over UTF-8 bytes: no {@code String} of the JSON text, no tree).
 *
 * <p>Writing: a JSON object becomes a {@link RawBsonDocument} the driver copies into the insert
 * as is. Integers become Int32 or Int64, fractions written from a double doubles, other decimal
 * text (a {@code BigDecimal}'s, such as {@code 13.50}) Decimal128 with its digits and scale, so
 * mongosh queries compare numbers as usual and the JSON reads back with the same value. Whatever BSON cannot hold with the same value (a key starting with {@code $} or holding
 * a dot or NUL, a number a double would round and Decimal128 cannot hold, text that is not one
 * JSON object) is refused ({@code null}) and the caller keeps the bytes as BinData.
 *
 * <p>Reading: an embedded document, written by this class or by another program (the TypeScript
 * prototype), becomes compact JSON. Types JSON lacks are written the way Jackson reads them into
 * the obvious Java type: dates as ISO-8601 strings ({@code Instant}, {@code OffsetDateTime}),
 * ObjectIds as their hex string, binary data as base64 ({@code byte[]}), Decimal128 as a plain
 * number ({@code BigDecimal}); non-finite numbers as the strings Jackson accepts for them.
 */
final class JsonBson {
    private static final BsonValueCodec VALUES = new BsonValueCodec();
    private static final JsonFactory JSON = JsonFactory.builder()
            // payloads are bounded by MongoDB's 16 MB document anyway
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private JsonBson() {
    }

    /**
     * The JSON object in {@code json} as a BSON document, or {@code null} when the bytes are not
     * one JSON object BSON can hold with the same value (then store them as binary).
     */
    static RawBsonDocument toBson(byte[] json) {
        BasicOutputBuffer buffer = new BasicOutputBuffer(2 * json.length + 64);
        try (BsonBinaryWriter writer = new BsonBinaryWriter(buffer)) {
            if (!writeDocument(json, writer)) {
                return null;
            }
            writer.flush();
        }
        return new RawBsonDocument(buffer.getInternalBuffer(), 0, buffer.getPosition());
    }

    /**
     * Writes the JSON object in {@code json} as a BSON document at the writer's position (a
     * value after a name, or a whole document). On {@code false} something was written already:
     * the caller resets the writer to a mark taken before, and stores the bytes as binary.
     */
    static boolean writeDocument(byte[] json, BsonBinaryWriter writer) {
        if (!startsWithObject(json)) {
            return false;
        }
        try (JsonParser parser = JSON.createParser(json)) {
            parser.nextToken();
            return writeDocument(parser, writer) && parser.nextToken() == null;
        } catch (IOException | BsonSerializationException | NumberFormatException e) {
            return false; // not JSON after all (the codec said it was): keep the bytes as they are
        }
    }

    private static boolean startsWithObject(byte[] json) {
        for (byte b : json) {
            if (b == '{') {
                return true;
            }
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return false;
    }

    /** Writes the object whose START_OBJECT the parser is on; false if BSON cannot hold it. */
    private static boolean writeDocument(JsonParser parser, BsonBinaryWriter writer) throws IOException {
        writer.writeStartDocument();
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            if (!storableName(name)) {
                return false;
            }
            writer.writeName(name);
            if (!writeValue(parser, parser.nextToken(), writer)) {
                return false;
            }
        }
        if (token != JsonToken.END_OBJECT) {
            return false;
        }
        writer.writeEndDocument();
        return true;
    }

    /** MongoDB refuses or misreads names starting with $ or holding dots, and BSON names cannot hold NUL. */
    private static boolean storableName(String name) {
        return !name.startsWith("$") && name.indexOf('.') < 0 && name.indexOf('\0') < 0;
    }

    private static boolean writeValue(JsonParser parser, JsonToken token, BsonBinaryWriter writer) throws IOException {
        switch (token) {
            case START_OBJECT:
                return writeDocument(parser, writer);
            case START_ARRAY:
                writer.writeStartArray();
                JsonToken element;
                while ((element = parser.nextToken()) != JsonToken.END_ARRAY) {
                    if (element == null || !writeValue(parser, element, writer)) {
                        return false;
                    }
                }
                writer.writeEndArray();
                return true;
            case VALUE_STRING:
                writer.writeString(parser.getText());
                return true;
            case VALUE_NUMBER_INT:
                return writeInteger(parser, writer);
            case VALUE_NUMBER_FLOAT:
                return writeFraction(parser, writer);
            case VALUE_TRUE:
                writer.writeBoolean(true);
                return true;
            case VALUE_FALSE:
                writer.writeBoolean(false);
                return true;
            case VALUE_NULL:
                writer.writeNull();
                return true;
            default:
                return false;
        }
    }

    private static boolean writeInteger(JsonParser parser, BsonBinaryWriter writer) throws IOException {
        switch (parser.getNumberType()) {
            case INT:
                writer.writeInt32(parser.getIntValue());
                return true;
            case LONG:
                writer.writeInt64(parser.getLongValue());
                return true;
            default:
                BigInteger big = parser.getBigIntegerValue();
                return writeDecimal(new BigDecimal(big), writer);
        }
    }

    private static boolean writeFraction(JsonParser parser, BsonBinaryWriter writer) throws IOException {
        double value = parser.getDoubleValue();
        String text = parser.getText();
        if (Double.isFinite(value) && text.equals(Double.toString(value))) {
            // written from a double (Jackson writes Double.toString): the double reads back as the same text
            writer.writeDouble(value);
            return true;
        }
        // a BigDecimal's text ("13.50", "1E+2", more digits than a double keeps): Decimal128 keeps
        // its digits and scale, and reads back as the same text
        return writeDecimal(new BigDecimal(text), writer);
    }

    private static boolean writeDecimal(BigDecimal value, BsonBinaryWriter writer) {
        try {
            writer.writeDecimal128(new Decimal128(value));
            return true;
        } catch (NumberFormatException tooPrecise) {
            return false;
        }
    }

    // ---------------------------------------------------------------- reading

    /** An embedded document as the driver read it (raw bytes) as compact UTF-8 JSON, without a tree. */
    static byte[] toJson(RawBsonDocument document) {
        ByteBuffer bytes = document.getByteBuffer().asNIO();
        ByteArrayBuilder json = new ByteArrayBuilder(Math.max(64, bytes.remaining()));
        try (JsonGenerator generator = JSON.createGenerator(json);
             BsonBinaryReader reader = new BsonBinaryReader(bytes)) {
            reader.readBsonType();
            writeDocument(reader, generator);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write an embedded document as JSON", e); // in memory: never
        }
        return json.toByteArray();
    }

    private static void writeDocument(BsonReader reader, JsonGenerator generator) throws IOException {
        reader.readStartDocument();
        generator.writeStartObject();
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            generator.writeFieldName(reader.readName());
            writeValue(reader, generator);
        }
        reader.readEndDocument();
        generator.writeEndObject();
    }

    private static void writeValue(BsonReader reader, JsonGenerator generator) throws IOException {
        switch (reader.getCurrentBsonType()) {
            case DOCUMENT -> writeDocument(reader, generator);
            case ARRAY -> {
                reader.readStartArray();
                generator.writeStartArray();
                while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
                    writeValue(reader, generator);
                }
                reader.readEndArray();
                generator.writeEndArray();
            }
            case STRING -> generator.writeString(reader.readString());
            case INT32 -> generator.writeNumber(reader.readInt32());
            case INT64 -> generator.writeNumber(reader.readInt64());
            case DOUBLE -> writeJson(reader.readDouble(), generator);
            case BOOLEAN -> generator.writeBoolean(reader.readBoolean());
            case NULL -> {
                reader.readNull();
                generator.writeNull();
            }
            case DECIMAL128 -> writeJson(reader.readDecimal128(), generator);
            case DATE_TIME -> generator.writeString(Instant.ofEpochMilli(reader.readDateTime()).toString());
            case OBJECT_ID -> generator.writeString(reader.readObjectId().toHexString());
            case BINARY -> generator.writeBinary(reader.readBinaryData().getData());
            case UNDEFINED -> {
                reader.readUndefined();
                generator.writeNull();
            }
            default -> {
                // the rest of BSON (timestamps, regular expressions, code, min/max keys): their text
                BsonValue value = VALUES.decode(reader, DecoderContext.builder().build());
                generator.writeString(String.valueOf(value));
            }
        }
    }

    /** An embedded document as compact UTF-8 JSON, for the consumer's codec. */
    static byte[] toJson(Document document) {
        ByteArrayBuilder bytes = new ByteArrayBuilder(256);
        try (JsonGenerator generator = JSON.createGenerator(bytes)) {
            writeJson(document, generator);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write an embedded document as JSON", e); // in memory: never
        }
        return bytes.toByteArray();
    }

    private static void writeJson(Object value, JsonGenerator generator) throws IOException {
        if (value == null) {
            generator.writeNull();
        } else if (value instanceof String text) {
            generator.writeString(text);
        } else if (value instanceof Map<?, ?> map) {
            generator.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                generator.writeFieldName(String.valueOf(entry.getKey()));
                writeJson(entry.getValue(), generator);
            }
            generator.writeEndObject();
        } else if (value instanceof List<?> list) {
            generator.writeStartArray();
            for (Object element : list) {
                writeJson(element, generator);
            }
            generator.writeEndArray();
        } else if (value instanceof Integer number) {
            generator.writeNumber(number);
        } else if (value instanceof Long number) {
            generator.writeNumber(number);
        } else if (value instanceof Double number) {
            writeJson(number.doubleValue(), generator);
        } else if (value instanceof Boolean flag) {
            generator.writeBoolean(flag);
        } else if (value instanceof Decimal128 decimal) {
            writeJson(decimal, generator);
        } else if (value instanceof Date date) {
            generator.writeString(date.toInstant().toString());
        } else if (value instanceof ObjectId id) {
            generator.writeString(id.toHexString());
        } else if (value instanceof Binary binary) {
            generator.writeBinary(binary.getData());
        } else if (value instanceof byte[] raw) {
            generator.writeBinary(raw);
        } else if (value instanceof Number number) {
            generator.writeNumber(number.toString());
        } else {
            // the rest of BSON (timestamps, regular expressions, code, UUIDs, min/max keys): their text
            generator.writeString(value.toString());
        }
    }

    private static void writeJson(double number, JsonGenerator generator) throws IOException {
        if (Double.isFinite(number)) {
            generator.writeNumber(number);
        } else {
            generator.writeString(Double.toString(number)); // "NaN", "Infinity": Jackson reads them into a double
        }
    }

    private static void writeJson(Decimal128 decimal, JsonGenerator generator) throws IOException {
        if (decimal.isNaN() || decimal.isInfinite()) {
            generator.writeString(decimal.toString());
        } else {
            generator.writeNumber(decimal.toString()); // "1.10", "1E+40", "-0": valid JSON numbers as they are
        }
    }
}
