package io.streamable;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a topic holds now: its retention and the oldest and newest stored messages, as the CLI's
 * {@code topics describe} shows them. A snapshot; on a partitioned backend the positions name
 * every partition that holds messages, and the times are the oldest and the newest over all of them.
 *
 * @param name            the topic's name
 * @param retention       its retention
 * @param oldest          the oldest stored position (per partition on a partitioned backend); empty when empty
 * @param oldestCreatedAt when the oldest stored message was created; empty when empty or unknown
 * @param newest          the newest stored position, what {@code head()} returns; empty when empty
 * @param newestCreatedAt when the newest stored message was created; empty when empty or unknown
 */
public record TopicDescription(String name, Retention retention, Optional<Position> oldest,
                               Optional<Instant> oldestCreatedAt, Optional<Position> newest,
                               Optional<Instant> newestCreatedAt) {
    /**
     * Checks that nothing is null.
     *
     * @param name            the topic's name
     * @param retention       its retention
     * @param oldest          the oldest stored position; empty when empty
     * @param oldestCreatedAt when the oldest stored message was created; empty when unknown
     * @param newest          the newest stored position; empty when empty
     * @param newestCreatedAt when the newest stored message was created; empty when unknown
     */
    public TopicDescription {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(retention, "retention: Retention.forever() for none");
        Objects.requireNonNull(oldest, "oldest");
        Objects.requireNonNull(oldestCreatedAt, "oldestCreatedAt");
        Objects.requireNonNull(newest, "newest");
        Objects.requireNonNull(newestCreatedAt, "newestCreatedAt");
    }
}
