package io.streamable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Slots: Kafka's murmur2 partitioner, byte for byte")
class SlotsTest {

    // values printed by kafka-clients 4.4.0: Utils.murmur2(key.getBytes(UTF_8)) and
    // Utils.toPositive(hash) % n, the partition Kafka's default partitioner picks
    @ParameterizedTest(name = "\"{0}\" hashes to {1}")
    @CsvSource(delimiter = '|', value = {
            "''|275646681|9|9|2",
            "a|-1563381124|12|4|5",
            "ab|316155434|10|2|0",
            "abc|479470107|11|3|4",
            "21|-973932308|12|0|3",
            "foobar|-790332482|14|6|0",
            "phil|372737460|4|0|4",
            "key-0|29210041|9|1|0",
            "key-17|956945460|4|0|2",
            "a-little-bit-long-string|-985981536|0|8|1",
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8|-58897971|13|5|3",
            "日本語|1431860170|10|10|6",
            "ü|1419834458|10|2|0",
            "account-42|201584324|4|8|4"})
    @DisplayName("murmur2 and the slot equal kafka-clients' hash and partition")
    void kafkaValues(String key, int hash, int of16, int of12, int of7) {
        assertThat(Slots.murmur2(key.getBytes(StandardCharsets.UTF_8))).isEqualTo(hash);
        assertThat(Slots.slotOf(key, 16)).isEqualTo(of16);
        assertThat(Slots.slotOf(key, 12)).isEqualTo(of12);
        assertThat(Slots.slotOf(key, 7)).isEqualTo(of7);
    }

    @Test
    @DisplayName("keys spread over every slot, roughly evenly")
    void spread() {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 16_000; i++) {
            counts.merge(Slots.slotOf("key-" + i, Slots.DEFAULT_COUNT), 1, Integer::sum);
        }
        assertThat(counts).hasSize(16);
        assertThat(counts.values()).allSatisfy(count -> assertThat(count).isBetween(800, 1200));
    }

    @Test
    @DisplayName("a slot count below 1 is refused")
    void invalidCount() {
        assertThatThrownBy(() -> Slots.slotOf("k", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
        assertThat(Slots.slotOf("anything", 1)).isZero();
    }
}
