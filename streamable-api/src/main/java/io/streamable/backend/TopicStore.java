package io.streamable.backend;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One topic's log in a backend. Thread-safe.
 *
 * <h2>What every backend guarantees (the contract suite checks each point)</h2>
 * <ul>
 *   <li>Records with one sharding key are read in the order their appends were accepted, also
 *       when many producers append at once; records of one {@link #append} call keep their order.</li>
 *   <li>A reader never passes a record that is accepted later: once a reader has returned a
 *       position, no record with that sharding key and an earlier position can appear.</li>
 *   <li>An appended record with a log compaction id makes the earlier records of this topic with
 *       the same sharding key and the same id removable; records with that id under another
 *       sharding key are not affected (a partitioned backend compacts within a partition, and a
 *       key stays in one). The newest one is never removed, nor is any record without an id.</li>
 *   <li>Saved consumer positions only move forward, except through {@link #resetPosition}, which
 *       moves them while their consumer is stopped.</li>
 * </ul>
 */
public interface TopicStore {

    /** {@return the topic's name} */
    String name();

    /**
     * Appends records in order. The future completes with their positions, in the same order,
     * once they are durable; it fails with {@link BackendUnavailableException} when the backend
     * cannot be reached. A record is stored whole or not at all and never leaves a hole a reader
     * could pass; after a failed append each record of the batch may or may not be stored, those
     * stored keeping their order (on a single-log backend they are a prefix of the batch).
     *
     * @param records the records to append, in order
     * @return their positions, in the order of {@code records}
     */
    CompletableFuture<List<Position>> append(List<AppendRecord> records);

    /**
     * Opens a reader. A named reader opened here is exclusive: it holds the name alone (a store that
     * is also {@link ConsumerGroups} refuses it while the name's group has a live member; the
     * framework starts named consumers with {@link ConsumerGroups#joinGroup} on such a store).
     * A named reader first takes the name's lease, then starts after the saved
     * position, or at {@link ReaderSpec#start()} when none is saved; in that case it saves that
     * start at once (before returning), so a reader that is closed or killed before its first
     * commit resumes there and not at a start resolved again later.
     *
     * <p>Ownership of a name is fenced: every take-over (after a close, or after the holder's
     * lease expired) gives the new holder a higher epoch, and a reader whose lease was taken over
     * throws {@link io.streamable.consume.ConsumerFencedException} from {@link TopicReader#read}
     * before returning any further record and from {@link TopicReader#commit} without saving.
     *
     * @param spec where to start, and the consumer name if any
     * @return the open reader, which the caller closes
     * @throws io.streamable.consume.ConsumerNameInUseException if a live reader holds the name
     */
    TopicReader openReader(ReaderSpec spec);

    /**
     * The position of the newest stored record: on a single-log backend its offset, on a
     * partitioned one the highest offset of every partition that holds records (partitions with
     * none are left out). Empty when nothing is stored. The framework resolves
     * {@link io.streamable.consume.StartFrom#latest()} with it, so a backend never has to.
     *
     * @return the head, or empty when the topic holds no records
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    Optional<Position> head();

    /**
     * The position saved by a named consumer, if any. For a consumer group
     * ({@link ConsumerGroups}): per partition, the lowest committed offset among its slots.
     *
     * @param consumerName the consumer's name
     * @return its saved position, or empty when it has none
     */
    Optional<Position> savedPosition(String consumerName);

    /** {@return the names of consumers that have saved a position on this topic} */
    Set<String> consumerNames();

    /**
     * How many stored records lie after {@code position}; all of them when empty. May be an
     * estimate where compaction leaves gaps the backend cannot count cheaply.
     *
     * @param position the position to count from; empty counts every stored record
     * @return the number of records after it, at least 0
     */
    long lag(Optional<Position> position);

    /**
     * Moves a named consumer's saved position, also backwards: to after {@code position}, or to
     * the beginning when empty, which the name then keeps (its next start reads everything, and it
     * is still listed in {@link #consumerNames()}). Offline only: the holder's lease is checked and
     * the change is made in one step, so a live consumer is never moved under its feet, and a
     * holder whose lease had expired is fenced (its later commits are refused rather than undoing
     * the reset). The framework has resolved {@link io.streamable.consume.StartFrom#latest()}
     * already. Backends that predate this method throw {@link UnsupportedOperationException}.
     *
     * @param consumerName the consumer's name
     * @param position     the new saved position (the consumer resumes after it); empty for the beginning
     * @throws io.streamable.consume.ConsumerNameInUseException if a live reader holds the name;
     *                                                         close that consumer first
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default void resetPosition(String consumerName, Optional<Position> position) {
        throw new UnsupportedOperationException("This backend cannot reset consumer positions (topic \"" + name()
                + "\"): upgrade the backend module to one that implements TopicStore.resetPosition");
    }

    /**
     * Forgets a named consumer: its saved position goes, so its next start uses its
     * {@link io.streamable.consume.StartFrom} again, and it leaves {@link #consumerNames()}.
     * Forgetting a name that has nothing saved does nothing. Fenced like
     * {@link #resetPosition}.
     *
     * @param consumerName the consumer's name
     * @throws io.streamable.consume.ConsumerNameInUseException if a live reader holds the name;
     *                                                         close that consumer first
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default void deleteConsumer(String consumerName) {
        throw new UnsupportedOperationException("This backend cannot delete consumers (topic \"" + name()
                + "\"): upgrade the backend module to one that implements TopicStore.deleteConsumer");
    }

    // ---------------------------------------------------------------- retention and time (issue 17)

    /**
     * The topic's retention, stored with the topic; {@link Retention#forever()} until set.
     * Backends that predate retention keep everything and return {@link Retention#forever()}.
     *
     * @return the retention in force
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default Retention retention() {
        return Retention.forever();
    }

    /**
     * Stores the topic's retention (creating the topic if needed) and applies it from now on: the
     * backend removes a <em>prefix</em> of the log, never the newest record, and never a position a
     * later append could be given. Readers behind the removed prefix resume at the oldest stored
     * record and report the gap ({@link TopicReader#takeRetentionGaps()}); {@link #lag} counts only
     * stored records. Backends that predate this method throw {@link UnsupportedOperationException}.
     *
     * @param retention the new retention; {@link Retention#forever()} keeps everything from now on
     * @throws IllegalArgumentException if the backend cannot enforce a limit of it (the message says which)
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default void setRetention(Retention retention) {
        throw new UnsupportedOperationException("This backend cannot set retention (topic \"" + name()
                + "\"): upgrade the backend module to one that implements TopicStore.setRetention");
    }

    /**
     * Removes now what the retention allows to remove, instead of waiting for the backend's own
     * schedule; for tests and tools. Does nothing where the server enforces retention itself
     * (Kafka) or the topic keeps everything.
     *
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default void enforceRetention() {
    }

    /**
     * Where a reader {@linkplain io.streamable.consume.StartFrom#at(Instant) starting at an
     * instant} starts after: a position such that every stored record created at or after
     * {@code instant} lies after it (per partition on a partitioned backend; a partition not named
     * is read from its beginning). Records after it that were created earlier may exist (producers'
     * clocks differ); the framework drops them. Found without scanning the topic. Backends that
     * predate this method throw {@link UnsupportedOperationException}.
     *
     * @param instant the earliest {@code createdAt} wanted
     * @return the position to start after, or empty to start at the beginning
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default Optional<Position> positionBefore(Instant instant) {
        throw new UnsupportedOperationException("This backend cannot start at a time (topic \"" + name()
                + "\"): upgrade the backend module to one that implements TopicStore.positionBefore");
    }

    /**
     * The topic's retention and its oldest and newest stored records. Backends that predate this
     * method throw {@link UnsupportedOperationException}.
     *
     * @return a snapshot of the topic
     * @throws BackendUnavailableException if the backend cannot be reached
     */
    default TopicDescription describeTopic() {
        throw new UnsupportedOperationException("This backend cannot describe topics (topic \"" + name()
                + "\"): upgrade the backend module to one that implements TopicStore.describeTopic");
    }
}
