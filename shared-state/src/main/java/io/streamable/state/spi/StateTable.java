package io.streamable.state.spi;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * One state store's keys in a backend (a MongoDB collection, a map in memory). The framework does
 * the typing, the retries and the apply-once checks; a table only needs a read, two atomic
 * conditional writes and a prefix scan. Thread-safe.
 */
public interface StateTable {

    /** The store's name. */
    String name();

    /** The key as stored, tombstones included. */
    Optional<StoredState> read(String key);

    /**
     * Stores a key that does not exist yet, atomically.
     *
     * @return false, writing nothing, if the key already exists (tombstones count as existing)
     */
    boolean insert(StoredState state);

    /**
     * Replaces a key's stored state if its version is still {@code expectedVersion}, atomically.
     *
     * @return false, writing nothing, if the key is missing or has another version
     */
    boolean replace(StoredState state, long expectedVersion);

    /**
     * Passes every key starting with {@code prefix}, tombstones included, to {@code sink} in
     * ascending key order ({@link String#compareTo}). Need not be a consistent snapshot.
     */
    void scan(String prefix, Consumer<StoredState> sink);
}
