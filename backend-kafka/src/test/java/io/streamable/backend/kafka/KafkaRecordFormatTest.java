package io.streamable.backend.kafka;

import io.streamable.backend.AppendRecord;
import io.streamable.backend.StoredRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The record format without a broker: what format 2 writes reads back the same, and other clients' records read as before. */
class KafkaRecordFormatTest {
    private static final byte[] CONNECTION = {1, 2, 3, 4, 5, 6, 7, 8};

    @Test
    @DisplayName("format 2 round trip: sharding key, logCompactId and every header, schema headers compressed into the marker")
    void roundTrip() {
        Map<String, String> headers = Map.of("source", "checkout", "streamable.schema.version", "12",
                "streamable.schema.variant", "v2");
        for (Optional<String> id : List.of(Optional.<String>empty(), Optional.of("order-7"))) {
            AppendRecord record = new AppendRecord("customer-é", id, headers, new byte[] {42});
            StoredRecord read = read(record, 1_000_000L);
            assertThat(read.shardingKey()).isEqualTo("customer-é");
            assertThat(read.logCompactId()).isEqualTo(id);
            assertThat(read.headers()).isEqualTo(headers);
            assertThat(read.payload()).containsExactly(42);
        }
        // a version that is not canonical decimal travels as text, unchanged
        for (String version : List.of("007", "x", "", "12345678901")) {
            AppendRecord record = new AppendRecord("k", Optional.empty(), Map.of("streamable.schema.version", version),
                    new byte[0]);
            assertThat(read(record, 1).headers()).isEqualTo(Map.of("streamable.schema.version", version));
        }
        AppendRecord plain = new AppendRecord("k", Optional.empty(), Map.of(), new byte[0]);
        assertThat(read(plain, 1).headers()).isEmpty();
    }

    @Test
    @DisplayName("format 2 is small: only the marker header, and the schema version in 3 bytes of it")
    void small() {
        AppendRecord record = new AppendRecord("k", Optional.empty(), Map.of("streamable.schema.version", "1"), new byte[0]);
        List<Header> headers = KafkaRecordFormat.headers(record);
        assertThat(headers).hasSize(1);
        assertThat(headers.get(0).key()).isEmpty();
        assertThat(headers.get(0).value()).containsExactly(2, 1, 1);
    }

    @Test
    @DisplayName("another client's records read with their key as sharding key and their headers as they are, an empty header name included")
    void foreignRecords() {
        StoredRecord foreign = KafkaRecordFormat.toStoredRecord(consumerRecord("3:abcd".getBytes(StandardCharsets.UTF_8),
                List.of(new RecordHeader("", new byte[] {9}), new RecordHeader("h", "v".getBytes(StandardCharsets.UTF_8)))));
        assertThat(foreign.shardingKey()).isEqualTo("3:abcd");
        assertThat(foreign.logCompactId()).isEmpty();
        assertThat(foreign.headers()).isEqualTo(Map.of("", "\t", "h", "v"));
        StoredRecord keyless = KafkaRecordFormat.toStoredRecord(consumerRecord(null, List.of()));
        assertThat(keyless.shardingKey()).isEmpty();
        // a marker-like first header on a key that is no format-2 key: read as another client's record
        StoredRecord odd = KafkaRecordFormat.toStoredRecord(consumerRecord("plain".getBytes(StandardCharsets.UTF_8),
                List.of(new RecordHeader("", new byte[] {2}))));
        assertThat(odd.shardingKey()).isEqualTo("plain");
    }

    private static StoredRecord read(AppendRecord record, long counter) {
        byte[] key = record.logCompactId().isPresent()
                ? KafkaRecordFormat.compactionKey(record.shardingKey(), record.logCompactId().get())
                : KafkaRecordFormat.uniqueKey(CONNECTION, counter, record.shardingKey());
        return KafkaRecordFormat.toStoredRecord(consumerRecord(key, KafkaRecordFormat.headers(record), record.payload()));
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(byte[] key, List<Header> headers) {
        return consumerRecord(key, headers, new byte[0]);
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(byte[] key, List<Header> headers, byte[] value) {
        return new ConsumerRecord<>("t", 0, 7, 1000, TimestampType.CREATE_TIME, -1, -1, key, value,
                new RecordHeaders(headers.toArray(new Header[0])), Optional.empty());
    }
}
