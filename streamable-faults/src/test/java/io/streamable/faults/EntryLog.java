package io.streamable.faults;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a log of {@link Entry} lines that a child process appends to, incrementally. Only complete
 * lines count: a process killed in the middle of a write leaves at most one partial last line,
 * which stands for a message its handler never finished (so it was not acknowledged either).
 */
final class EntryLog {
    private final Path file;
    private final List<Entry> entries = new ArrayList<>();
    private long offset;

    EntryLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Every complete entry so far, reading what was appended since the last call. */
    synchronized List<Entry> entries() {
        refresh();
        return List.copyOf(entries);
    }

    /** How many complete entries the file holds now. */
    synchronized int size() {
        refresh();
        return entries.size();
    }

    private void refresh() {
        if (!Files.exists(file)) {
            return;
        }
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            if (length <= offset) {
                return;
            }
            byte[] bytes = new byte[(int) (length - offset)];
            in.seek(offset);
            in.readFully(bytes);
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    entries.add(Entry.parse(new String(bytes, start, i - start, StandardCharsets.UTF_8)));
                    start = i + 1;
                }
            }
            offset += start;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + file, e);
        }
    }
}
