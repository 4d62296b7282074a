package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a framework message is laid out in a Kafka record, written and read (see the package
 * documentation, "Record format"). Format 2 (since 2026-12-02) carries the sharding key and the
 * logCompactId in the record key and the framework's schema headers in one marker header with an
 * empty name; format 1 carried them in the headers {@code streamable.shardingKey} and
 * {@code streamable.logCompactId}. Both are read.
 */
final class KafkaRecordFormat {
    /** Format 1's header carrying the sharding key; still read, never written. */
    static final String SHARDING_KEY_HEADER = "streamable.shardingKey";
    /** Format 1's header carrying the logCompactId; still read, never written. */
    static final String LOG_COMPACT_ID_HEADER = "streamable.logCompactId";
    /** Format 1's first key byte of records without a logCompactId. */
    static final byte LEGACY_UNIQUE_KEY_MARK = '~';
    /** Format 2's first key byte of records without a logCompactId: never an ASCII digit or '~'. */
    static final byte UNIQUE_KEY_MARK = 0x01;
    /**
     * Format 2's marker header name: empty, which no producer can give a header (names are
     * non-empty), so a framework record's own headers never collide with it.
     */
    static final String MARKER_HEADER = "";
    static final byte FORMAT_2 = 2;
    /** The schema headers the engine writes on every message (names as in streamable-core's SchemaRegistry). */
    static final String SCHEMA_VERSION_HEADER = "streamable.schema.version";
    static final String SCHEMA_VARIANT_HEADER = "streamable.schema.variant";
    /** Marker entries: a schema version in canonical decimal as a varint, one as text, a variant as text. */
    private static final int ENTRY_VERSION_NUMBER = 1;
    private static final int ENTRY_VERSION_TEXT = 2;
    private static final int ENTRY_VARIANT_TEXT = 3;
    /** Schema versions read back without building a new String for each record. */
    private static final String[] SMALL_NUMBERS = new String[1024];
    private static final byte[] MARKER_ONLY = {FORMAT_2};

    static {
        for (int i = 0; i < SMALL_NUMBERS.length; i++) {
            SMALL_NUMBERS[i] = Integer.toString(i);
        }
    }

    private KafkaRecordFormat() {
    }

    /**
     * The record key of a message with a logCompactId, which is what Kafka compacts by (per
     * partition): {@code <UTF-8 length of the sharding key>:<sharding key><logCompactId>}, the
     * same in both formats, so records written before an upgrade are compacted by later ones.
     * One id under two sharding keys gives two keys even when both keys share a partition, and
     * the length prefix keeps ("ab", "c") apart from ("a", "bc").
     */
    static byte[] compactionKey(String shardingKey, String logCompactId) {
        byte[] key = shardingKey.getBytes(StandardCharsets.UTF_8);
        byte[] id = logCompactId.getBytes(StandardCharsets.UTF_8);
        byte[] length = (key.length + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] encoded = new byte[length.length + key.length + id.length];
        System.arraycopy(length, 0, encoded, 0, length.length);
        System.arraycopy(key, 0, encoded, length.length, key.length);
        System.arraycopy(id, 0, encoded, length.length + key.length, id.length);
        return encoded;
    }

    /**
     * The record key of a message without a logCompactId: {@code 0x01}, the connection's 8 random
     * bytes, the connection's counter as an unsigned varint, then the sharding key in UTF-8. The
     * (connection, counter) pair makes it a key no other record has, so compaction never removes
     * it; its first byte is never a digit (compaction keys) nor {@code ~} (format 1's unique keys).
     */
    static byte[] uniqueKey(byte[] connection, long counter, String shardingKey) {
        byte[] key = shardingKey.getBytes(StandardCharsets.UTF_8);
        byte[] encoded = new byte[1 + connection.length + varintSize(counter) + key.length];
        encoded[0] = UNIQUE_KEY_MARK;
        System.arraycopy(connection, 0, encoded, 1, connection.length);
        int at = writeVarint(encoded, 1 + connection.length, counter);
        System.arraycopy(key, 0, encoded, at, key.length);
        return encoded;
    }

    /** The Kafka headers of a record in format 2: the marker first, then the other headers by name. */
    static List<Header> headers(AppendRecord record) {
        Map<String, String> headers = record.headers();
        List<Header> encoded = new ArrayList<>(headers.size() + 1);
        encoded.add(null); // the marker, once its entries are known
        ByteArrayOutputStream marker = null;
        for (Map.Entry<String, String> header : headers.entrySet()) {
            String name = header.getKey();
            String value = header.getValue();
            if (name.equals(SCHEMA_VERSION_HEADER)) {
                marker = marker == null ? newMarker() : marker;
                int number = canonicalNumber(value);
                if (number >= 0) {
                    marker.write(ENTRY_VERSION_NUMBER);
                    writeVarint(marker, number);
                } else {
                    marker.write(ENTRY_VERSION_TEXT);
                    writeText(marker, value);
                }
            } else if (name.equals(SCHEMA_VARIANT_HEADER)) {
                marker = marker == null ? newMarker() : marker;
                marker.write(ENTRY_VARIANT_TEXT);
                writeText(marker, value);
            } else if (!name.equals(SHARDING_KEY_HEADER) && !name.equals(LOG_COMPACT_ID_HEADER)) {
                encoded.add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
            }
        }
        encoded.set(0, new RecordHeader(MARKER_HEADER, marker == null ? MARKER_ONLY : marker.toByteArray()));
        return encoded;
    }

    private static ByteArrayOutputStream newMarker() {
        ByteArrayOutputStream marker = new ByteArrayOutputStream(8);
        marker.write(FORMAT_2);
        return marker;
    }

    /** The value as an int if it is one in canonical decimal (so it reads back as the same text), else -1. */
    private static int canonicalNumber(String value) {
        int length = value.length();
        if (length == 0 || length > 9 || (length > 1 && value.charAt(0) == '0')) {
            return -1;
        }
        int number = 0;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            number = number * 10 + (c - '0');
        }
        return number;
    }

    /**
     * The stored form of a consumed record: format 2, format 1, or another client's record, which
     * reads with its key as sharding key, no logCompactId and its headers as they are.
     */
    static StoredRecord toStoredRecord(ConsumerRecord<byte[], byte[]> record) {
        Header[] headers = record.headers().toArray();
        Position position = Position.of(record.partition(), record.offset());
        Instant createdAt = Instant.ofEpochMilli(record.timestamp());
        byte[] key = record.key();
        if (headers.length > 0 && key != null && headers[0].key().isEmpty()) {
            StoredRecord decoded = format2(position, createdAt, key, headers, record.value());
            if (decoded != null) {
                return decoded;
            }
        }
        return format1(position, createdAt, key, headers, record.value());
    }

    /** The sharding key a framework record (either format) was written with, or null for another client's record. */
    static String frameworkShardingKey(ConsumerRecord<byte[], byte[]> record) {
        Header[] headers = record.headers().toArray();
        byte[] key = record.key();
        if (headers.length > 0 && key != null && headers[0].key().isEmpty()) {
            StoredRecord decoded = format2(Position.of(record.partition(), record.offset()), Instant.EPOCH, key,
                    headers, new byte[0]);
            if (decoded != null) {
                return decoded.shardingKey();
            }
        }
        for (Header header : headers) {
            if (header.key().equals(SHARDING_KEY_HEADER) && header.value() != null) {
                return text(header.value());
            }
        }
        return null;
    }

    /** The record in format 2, or null if it is not in it (another client's record with an empty header name). */
    private static StoredRecord format2(Position position, Instant createdAt, byte[] key, Header[] headers,
                                        byte[] value) {
        byte[] marker = headers[0].value();
        if (marker == null || marker.length == 0 || marker[0] != FORMAT_2) {
            return null;
        }
        String[] parsedKey = parseKey(key);
        if (parsedKey == null) {
            return null;
        }
        String version = null;
        String variant = null;
        int[] at = {1};
        while (at[0] < marker.length) {
            int entry = marker[at[0]++];
            switch (entry) {
                case ENTRY_VERSION_NUMBER -> {
                    long number = readVarint(marker, at);
                    version = number < SMALL_NUMBERS.length ? SMALL_NUMBERS[(int) number] : Long.toString(number);
                }
                case ENTRY_VERSION_TEXT -> version = readText(marker, at);
                case ENTRY_VARIANT_TEXT -> variant = readText(marker, at);
                default -> {
                    return null; // a later format's entry: not ours to guess
                }
            }
            if (at[0] > marker.length) {
                return null;
            }
        }
        int others = headers.length - 1;
        Map<String, String> map;
        if (others == 0 && variant == null) {
            map = version == null ? Map.of() : Map.of(SCHEMA_VERSION_HEADER, version);
        } else {
            map = new HashMap<>(4 + others * 2);
            if (version != null) {
                map.put(SCHEMA_VERSION_HEADER, version);
            }
            if (variant != null) {
                map.put(SCHEMA_VARIANT_HEADER, variant);
            }
            for (int i = 1; i < headers.length; i++) {
                map.put(headers[i].key(), text(headers[i].value()));
            }
        }
        Optional<String> logCompactId = parsedKey[1] == null ? Optional.empty() : Optional.of(parsedKey[1]);
        return new StoredRecord(position, createdAt, parsedKey[0], logCompactId, map, value);
    }

    /** {sharding key, logCompactId or null} of a format-2 key, or null if it is not one. */
    static String[] parseKey(byte[] key) {
        if (key.length == 0) {
            return null;
        }
        if (key[0] == UNIQUE_KEY_MARK) {
            int at = 9;
            if (key.length < at + 1) {
                return null;
            }
            while (at < key.length && (key[at] & 0x80) != 0) {
                at++;
            }
            at++;
            if (at > key.length) {
                return null;
            }
            return new String[] {new String(key, at, key.length - at, StandardCharsets.UTF_8), null};
        }
        int length = 0;
        int at = 0;
        while (at < key.length && key[at] >= '0' && key[at] <= '9' && at < 10) {
            length = length * 10 + (key[at] - '0');
            at++;
        }
        if (at == 0 || at >= key.length || key[at] != ':' || length > key.length - at - 1) {
            return null;
        }
        at++;
        return new String[] {new String(key, at, length, StandardCharsets.UTF_8),
                new String(key, at + length, key.length - at - length, StandardCharsets.UTF_8)};
    }

    private static StoredRecord format1(Position position, Instant createdAt, byte[] key, Header[] headers,
                                        byte[] value) {
        String shardingKey = null;
        Optional<String> logCompactId = Optional.empty();
        Map<String, String> map = headers.length == 0 ? Map.of() : new HashMap<>(headers.length * 2);
        for (Header header : headers) {
            String name = header.key();
            if (name.equals(SHARDING_KEY_HEADER)) {
                shardingKey = text(header.value());
            } else if (name.equals(LOG_COMPACT_ID_HEADER)) {
                logCompactId = Optional.of(text(header.value()));
            } else {
                map.put(name, text(header.value()));
            }
        }
        if (shardingKey == null) {
            shardingKey = key == null ? "" : new String(key, StandardCharsets.UTF_8);
        }
        return new StoredRecord(position, createdAt, shardingKey, logCompactId, map, value);
    }

    private static String text(byte[] value) {
        return value == null ? "" : new String(value, StandardCharsets.UTF_8);
    }

    private static int varintSize(long value) {
        int size = 1;
        while ((value >>>= 7) != 0) {
            size++;
        }
        return size;
    }

    private static int writeVarint(byte[] into, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            into[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        into[at++] = (byte) value;
        return at;
    }

    private static void writeVarint(ByteArrayOutputStream into, long value) {
        while ((value & ~0x7FL) != 0) {
            into.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        into.write((int) value);
    }

    private static long readVarint(byte[] from, int[] at) {
        long value = 0;
        int shift = 0;
        while (at[0] < from.length && shift < 64) {
            byte b = from[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
            shift += 7;
        }
        at[0] = from.length + 1; // truncated: the caller sees it past the end
        return 0;
    }

    private static void writeText(ByteArrayOutputStream into, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        writeVarint(into, bytes.length);
        into.write(bytes, 0, bytes.length);
    }

    private static String readText(byte[] from, int[] at) {
        long length = readVarint(from, at);
        if (at[0] > from.length || length > from.length - at[0]) {
            at[0] = from.length + 1;
            return null;
        }
        String text = new String(from, at[0], (int) length, StandardCharsets.UTF_8);
        at[0] += (int) length;
        return text;
    }
}
