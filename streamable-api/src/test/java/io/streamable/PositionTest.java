package io.streamable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PositionTest {

    @Test
    @DisplayName("a one-partition position is the same value however it was made, with the map's hash")
    void onePartitionFormsAreOneValue() {
        Position made = Position.of(3, 17);
        Position fromMap = Position.of(Map.of(3, 17L));
        Position parsed = Position.parse("3:17");
        assertThat(fromMap).isEqualTo(made).isEqualTo(parsed).hasSameHashCodeAs(made);
        assertThat(made.hashCode()).isEqualTo(new java.util.TreeMap<>(Map.of(3, 17L)).hashCode());
        assertThat(Position.of(5_000_000_000L).hashCode()).isEqualTo(Map.of(0, 5_000_000_000L).hashCode());
        assertThat(made.encode()).isEqualTo("3:17");
        assertThat(made.offsets()).containsExactly(Map.entry(3, 17L));
        assertThat(made.isSingleLog()).isFalse();
        assertThat(made.offset(3)).hasValue(17);
        assertThat(made.offset(0)).isEmpty();
        assertThat(made).isNotEqualTo(Position.of(0, 17)).isNotEqualTo(Position.of(3, 18))
                .isNotEqualTo(Position.of(Map.of(3, 17L, 4, 1L)));
        // merging two partitions' single positions makes a two-partition one, and back to the compact form's values
        Position both = made.merge(Position.of(4, 1));
        assertThat(both).isEqualTo(Position.of(Map.of(3, 17L, 4, 1L)));
        assertThat(both.covers(made)).isTrue();
        assertThat(made.covers(both)).isFalse();
        assertThat(made.merge(Position.of(3, 9))).isSameAs(made);
        assertThat(made.compareInPartition(Position.of(3, 20))).isNegative();
        assertThatThrownBy(() -> made.compareInPartition(Position.of(0, 20))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a single-log position encodes as a bare number and parses back")
    void singleLogRoundTrip() {
        Position position = Position.of(42);
        assertThat(position.encode()).isEqualTo("42");
        assertThat(Position.parse("42")).isEqualTo(position);
        assertThat(position.isSingleLog()).isTrue();
        assertThat(position.offset()).isEqualTo(42);
    }

    @Test
    @DisplayName("a partitioned position encodes as sorted partition:offset pairs and parses back")
    void partitionedRoundTrip() {
        Position position = Position.of(Map.of(3, 17L, 0, 42L));
        assertThat(position.encode()).isEqualTo("0:42,3:17");
        assertThat(Position.parse(" 0:42, 3:17 ")).isEqualTo(position);
        assertThat(position.isSingleLog()).isFalse();
        assertThat(position.offset(3)).hasValue(17);
        assertThat(position.offset(1)).isEmpty();
        assertThatThrownBy(position::offset).isInstanceOf(IllegalStateException.class).hasMessageContaining("offsets()");
    }

    @Test
    @DisplayName("merge keeps the greater offset of every partition and covers both inputs")
    void merge() {
        Position a = Position.of(Map.of(0, 5L, 1, 9L));
        Position b = Position.of(Map.of(1, 3L, 2, 7L));
        Position merged = a.merge(b);
        assertThat(merged).isEqualTo(Position.of(Map.of(0, 5L, 1, 9L, 2, 7L)));
        assertThat(merged.covers(a)).isTrue();
        assertThat(merged.covers(b)).isTrue();
        assertThat(a.covers(b)).isFalse();
    }

    @Test
    @DisplayName("positions of one partition compare by offset; across partitions they refuse to")
    void compare() {
        assertThat(Position.of(3).compareInPartition(Position.of(4))).isNegative();
        assertThat(Position.of(2, 8).compareInPartition(Position.of(2, 7))).isPositive();
        assertThat(Position.of(2, 8).compareInPartition(Position.of(2, 8))).isZero();
        assertThat(Comparable.class.isAssignableFrom(Position.class)).as("not sortable: partitions have no order").isFalse();
        assertThatThrownBy(() -> Position.of(1, 1).compareInPartition(Position.of(2, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no order");
    }

    @Test
    @DisplayName("garbage, negative offsets and duplicate partitions are rejected with the expected format")
    void rejectsGarbage() {
        assertThatThrownBy(() -> Position.parse("abc")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"abc\"").hasMessageContaining("0:42,3:17");
        assertThatThrownBy(() -> Position.parse("-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Position.parse("0:1,0:2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> Position.of(Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
