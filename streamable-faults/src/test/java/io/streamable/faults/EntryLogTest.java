package io.streamable.faults;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading the logs that child processes append to, also after one was killed mid-line. */
class EntryLogTest {

    @Test
    @DisplayName("complete lines are read incrementally; a partial last line waits for its end")
    void incremental(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("deliveries.log");
        EntryLog log = new EntryLog(file);
        assertThat(log.size()).isZero();
        Files.writeString(file, "k 1 1 - 1\nk 1 2 k#2 2\nk 1 ", StandardCharsets.UTF_8);
        assertThat(log.size()).isEqualTo(2);
        Files.writeString(file, "3 - 3\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThat(log.entries()).extracting(Entry::seq).containsExactly(1L, 2L, 3L);
    }
}
