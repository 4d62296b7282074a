package io.streamable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Position.merge")
class PositionMergeTest {

    @Test
    @DisplayName("keeps the greater offset of one partition, whichever side holds it")
    void samePartition() {
        assertThat(Position.of(3).merge(Position.of(7))).isEqualTo(Position.of(7));
        assertThat(Position.of(7).merge(Position.of(3))).isEqualTo(Position.of(7));
        assertThat(Position.of(2, 5).merge(Position.of(2, 5))).isEqualTo(Position.of(2, 5));
    }

    @Test
    @DisplayName("returns itself when the other adds nothing")
    void returnsItself() {
        Position seven = Position.of(7);
        assertThat(seven.merge(Position.of(3))).isSameAs(seven);
        Position spread = Position.of(Map.of(0, 4L, 1, 9L));
        assertThat(spread.merge(Position.of(1, 2))).isSameAs(spread);
    }

    @Test
    @DisplayName("unites different partitions, taking the greater offset of each")
    void differentPartitions() {
        assertThat(Position.of(0, 4).merge(Position.of(1, 2))).isEqualTo(Position.of(Map.of(0, 4L, 1, 2L)));
        assertThat(Position.of(Map.of(0, 4L, 1, 9L)).merge(Position.of(Map.of(0, 6L, 2, 1L))))
                .isEqualTo(Position.of(Map.of(0, 6L, 1, 9L, 2, 1L)));
    }
}
