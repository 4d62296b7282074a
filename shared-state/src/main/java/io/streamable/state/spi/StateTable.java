package io.streamable.state.spi;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * One state store's keys in a backend (a MongoDB collection, a map in memory). The framework does
 * the typing, the retries and the apply-once checks; a table only needs a read, two atomic
 * conditional writes, a prefix scan and a lookup of the keys with pending output. Thread-safe.
 */
public interface StateTable {

    /** {@return the store's name} */
    String name();

    /**
     * The key as stored, tombstones included.
     *
     * @param key the key
     * @return its stored state, or empty when it was never written
     */
    Optional<StoredState> read(String key);

    /**
     * Stores a key that does not exist yet, atomically.
     *
     * @return false, writing nothing, if the key already exists (tombstones count as existing)
     * @param state the state to store, at version 1
     */
    boolean insert(StoredState state);

    /**
     * Replaces a key's stored state if its version is still {@code expectedVersion}, atomically.
     *
     * @return false, writing nothing, if the key is missing or has another version
     * @param state           the new state, at {@code expectedVersion + 1}
     * @param expectedVersion the version the caller read
     */
    boolean replace(StoredState state, long expectedVersion);

    /**
     * Passes every key starting with {@code prefix}, tombstones included, to {@code sink} in
     * ascending key order ({@link String#compareTo}). Need not be a consistent snapshot.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @param sink   receives each key's stored state
     */
    void scan(String prefix, Consumer<StoredState> sink);

    /**
     * Passes every key with pending output ({@link StoredState#hasPendingOutput()}), in any order,
     * to {@code sink}: what a processor re-emits when it starts. Backends answer it from an index
     * kept in the same atomic write as the key (a set of such keys, an indexed field), so the cost
     * is the number of keys with pending output, not the size of the store. The default scans every
     * key; it is correct, and only meant for backends that cannot keep an index. Need not be a
     * consistent snapshot, but a key that has had pending output since before the call is passed.
     *
     * @param sink receives each key with pending output
     */
    default void scanPending(Consumer<StoredState> sink) {
        scan("", state -> {
            if (state.hasPendingOutput()) {
                sink.accept(state);
            }
        });
    }
}
