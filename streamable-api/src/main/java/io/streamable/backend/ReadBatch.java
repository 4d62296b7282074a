package io.streamable.backend;

import java.util.List;

/**
 * What one {@link TopicReader#read} returned.
 *
 * @param records  the records, in read order
 * @param caughtUp true when, after these records, the reader has read everything the backend
 *                 held when the read was served
 */
public record ReadBatch(List<StoredRecord> records, boolean caughtUp) {
    /**
     * Copies {@code records}, so the batch stays immutable.
     *
     * @param records  the records, in read order
     * @param caughtUp true when, after these records, the reader has read everything the backend
     *        held when the read was served
     */
    public ReadBatch {
        records = List.copyOf(records);
    }

    /** {@return an empty batch: nothing new, the reader is at the head} */
    public static ReadBatch empty() {
        return new ReadBatch(List.of(), true);
    }
}
