package io.streamable.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fault suite's oracle on hand-made logs: it must catch what the scenarios are there to catch. */
class OracleTest {

    private static Entry plain(String key, int incarnation, long seq) {
        return new Entry(key, incarnation, seq, Optional.empty(), Long.toString(seq));
    }

    private static Entry compacted(String key, int incarnation, long seq, String compactId) {
        return new Entry(key, incarnation, seq, Optional.of(compactId), Long.toString(seq));
    }

    @Test
    @DisplayName("an acknowledged message that no process delivered is lost")
    void lost() {
        Verdict verdict = Oracle.judge(List.of(plain("a", 1, 1), plain("a", 1, 2), plain("a", 1, 3)),
                List.of(List.of(plain("a", 1, 1), plain("a", 1, 3))));
        assertThat(verdict.acked()).isEqualTo(3);
        assertThat(verdict.delivered()).isEqualTo(2);
        assertThat(verdict.lost()).isEqualTo(1);
        assertThat(verdict.lostSamples()).containsExactly("a/1/2@2");
    }

    @Test
    @DisplayName("a message superseded by a delivered newer one with its logCompactId is not lost; an older one does not count")
    void superseded() {
        Entry old = compacted("a", 1, 1, "a#0");
        Entry newer = compacted("a", 2, 1, "a#0");
        assertThat(Oracle.judge(List.of(old, newer), List.of(List.of(newer))).lost()).isZero();
        // the only delivered version is older than the acknowledged one: the newest is missing
        assertThat(Oracle.judge(List.of(old, newer), List.of(List.of(old))).lost()).isEqualTo(1);
        // another id does not supersede
        assertThat(Oracle.judge(List.of(old), List.of(List.of(compacted("a", 2, 1, "a#1")))).lost()).isEqualTo(1);
    }

    @Test
    @DisplayName("a delivery of a message older than one already delivered in the same process is a reorder")
    void reorder() {
        Verdict verdict = Oracle.judge(List.of(), List.of(List.of(plain("a", 1, 1), plain("a", 1, 3), plain("b", 1, 1),
                plain("a", 1, 2))));
        assertThat(verdict.reorders()).isEqualTo(1);
        assertThat(verdict.reorderSamples()).containsExactly("a/1/2@2 after a/1/3@3");
    }

    @Test
    @DisplayName("a new producer incarnation orders after the previous one, whatever its sequence numbers")
    void incarnationsOrder() {
        Verdict verdict = Oracle.judge(List.of(), List.of(List.of(plain("a", 1, 50), plain("a", 2, 1), plain("a", 1, 51))));
        assertThat(verdict.reorders()).isEqualTo(1);
    }

    @Test
    @DisplayName("redelivery after a restart, or a rewind within a process, is a duplicate, not a reorder")
    void duplicates() {
        Verdict verdict = Oracle.judge(List.of(plain("a", 1, 1), plain("a", 1, 2), plain("a", 1, 3)), List.of(
                List.of(plain("a", 1, 1), plain("a", 1, 2)),
                List.of(plain("a", 1, 2), plain("a", 1, 3), plain("a", 1, 2), plain("a", 1, 3))));
        assertThat(verdict.duplicates()).isEqualTo(3);
        assertThat(verdict.reorders()).isZero();
        assertThat(verdict.lost()).isZero();
        assertThat(verdict.delivered()).isEqualTo(3);
    }

    @Test
    @DisplayName("a position acknowledged to two different messages is reused; the same message acknowledged twice is not")
    void reusedPositions() {
        Entry first = new Entry("a", 1, 1, Optional.of("a#1"), "52");
        Entry second = new Entry("b", 1, 7, Optional.empty(), "52");
        Verdict verdict = Oracle.judge(List.of(first, second, plain("a", 1, 2), plain("a", 1, 2)),
                List.of(List.of(first, second, plain("a", 1, 2))));
        assertThat(verdict.reused()).isEqualTo(1);
        assertThat(verdict.reusedSamples()).containsExactly("52=a/1/1+b/1/7");
        assertThat(verdict.lost()).isZero();
    }

    @Test
    @DisplayName("log lines round-trip, and a line that is not one fails clearly")
    void lines() {
        Entry entry = compacted("p1-k0", 3, 17, "p1-k0#2");
        assertThat(Entry.parse(entry.line())).isEqualTo(entry);
        assertThat(Entry.parse(plain("k", 1, 2).line()).logCompactId()).isEmpty();
        assertThatThrownBy(() -> Entry.parse("k 1 2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key incarnation seq lcid position");
    }

    @Test
    @DisplayName("one sharding key handled by two processes at overlapping times is caught; touching or other keys are not")
    void overlaps() {
        Handling a1 = new Handling("a", "a/1/1", 100, 200);
        Handling a2 = new Handling("a", "a/1/2", 200, 300); // starts the microsecond the other ended
        Handling a3 = new Handling("a", "a/1/3", 250, 260); // inside a2, another process
        Handling b1 = new Handling("b", "b/1/1", 150, 400); // another key: may run in parallel
        assertThat(Oracle.overlaps(List.of(List.of(a1), List.of(a2, b1))).count()).isZero();
        Oracle.Overlaps caught = Oracle.overlaps(List.of(List.of(a1, a2), List.of(a3, b1)));
        assertThat(caught.count()).isEqualTo(1);
        assertThat(caught.samples()).singleElement().asString().contains("a/1/3").contains("a/1/2");
        // one process's own intervals never count against it
        assertThat(Oracle.overlaps(List.of(List.of(a2, a3))).count()).isZero();
        assertThat(Handling.parse("a 1 2 200 300")).isEqualTo(a2);
    }
}
