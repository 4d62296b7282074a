package io.streamable.state;

import io.streamable.Message;
import io.streamable.PayloadType;
import io.streamable.Position;

import java.util.Optional;
import java.util.SortedMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A typed, keyed store of state shared by every process that opens it: a value per string key,
 * encoded with the same codec as topic payloads (JSON by default). Thread-safe; get one from
 * {@link SharedState#store(String, Class)}.
 *
 * <h2>Atomic updates</h2>
 * Every key has a version, incremented by every write. {@link #update(String, Function)} reads the
 * value, runs the function and writes the result only if the version is still the one it read;
 * if another writer got there first it reads again and re-runs the function, up to
 * {@link SharedStateBuilder#maxAttempts(int)} times. The function may therefore run more than once
 * per call: keep it free of side effects, and use only the result of the call.
 *
 * <h2>Apply-once by source position</h2>
 * An update made for a message ({@link #update(String, Message, Function)} or with a
 * {@link Source}) records, in the same atomic write as the new value, the message's position for
 * the key and the message's topic. The store refuses, without running the function, an update
 * from that topic whose position is not newer than the one recorded for the key (on partitioned
 * topics: whose offset is not greater than the recorded offset of its partition). A refused
 * update returns {@link UpdateResult.Status#ALREADY_APPLIED} and writes nothing.
 *
 * <p>The invariant this gives: <b>for each key and source topic, the value is the fold of the
 * topic's messages for that key up to the recorded position, each applied exactly once</b>,
 * provided
 * <ol>
 *   <li>every message that updates a key reaches some handler (at-least-once delivery, which
 *       named consumers give), and</li>
 *   <li>the messages of one topic that update one key are handled in topic order by each
 *       handler: give them one sharding key (usually the state key itself), because only
 *       messages with one sharding key are ordered.</li>
 * </ol>
 * Redelivery after a crash, or several processor instances handling the same messages, then
 * cannot apply a message twice: the second attempt finds the message's position recorded and is
 * refused. And a handler that lags behind another cannot undo its work: it is refused until it
 * reaches messages the other has not applied.
 *
 * <h2>Deletes</h2>
 * Deleting a key removes its value but keeps a tombstone with its version and recorded
 * positions, so a redelivered message cannot resurrect it, and a writer that read the key before
 * the delete cannot overwrite the deletion. Tombstones are invisible to {@link #get(String)} and
 * {@link #entries(String)}.
 *
 * <h2>Outbox: output kept with the state until delivered</h2>
 * {@link #computeWithOutput} is an apply-once update whose function also returns output bytes
 * (for a processor: the messages to append). The store keeps them in the key's <em>outbox</em>,
 * under the update's source, in the same atomic write as the value, so a process that dies right
 * after the write has not lost them: a redelivery of the message is refused as already applied
 * and its result carries the pending output ({@link UpdateResult#pending()}), and
 * {@link #forEachPending} lists every key's pending output, from an index the backend keeps in
 * the same write. Once the output is delivered, {@link #acknowledge(String, Source)} removes it.
 * Plain updates and deletes keep the outbox as it is.
 *
 * @param <V> the value type
 */
public interface StateStore<V> {

    /** {@return the store's name} */
    String name();

    /** {@return the type of its values} */
    PayloadType<V> valueType();

    /**
     * The value of a key, if it has one.
     *
     * @param key the key
     * @return its value, or empty when it has none (never set, or deleted)
     */
    Optional<V> get(String key);

    /**
     * The value of a key with its version and recorded source positions, if it has a value.
     *
     * @param key the key
     * @return its value with version and positions, or empty when it has no value
     */
    Optional<Versioned<V>> read(String key);

    /**
     * Atomically replaces a key's value with {@code fn(current)}, retrying on conflict.
     *
     * @param key the key to update
     * @param fn receives the current value (empty if none) and returns the new one, never null;
     *           may run several times
     * @return what was written
     * @throws StateConflictException if every attempt lost to a concurrent writer
     */
    default UpdateResult<V> update(String key, Function<Optional<V>, V> fn) {
        return compute(key, Optional.empty(), current -> Optional.of(requireValue(fn.apply(current), key)));
    }

    /**
     * An apply-once update for the message at {@code source}: refused with
     * {@link UpdateResult.Status#ALREADY_APPLIED} if the key records that position or a newer one
     * for the topic, otherwise like {@link #update(String, Function)} and records the position.
     *
     * @param key    the key to update
     * @param source the message this update is for
     * @param fn     receives the current value (empty if none) and returns the new one, never null; may run several times
     * @return what was written, or that the source was already applied
     */
    default UpdateResult<V> update(String key, Source source, Function<Optional<V>, V> fn) {
        return compute(key, Optional.of(source), current -> Optional.of(requireValue(fn.apply(current), key)));
    }

    /**
     * An apply-once update for a message being handled; see {@link #update(String, Source, Function)}.
     *
     * @param key     the key to update
     * @param message the message being handled
     * @param fn      receives the current value (empty if none) and returns the new one, never null; may run several times
     * @return what was written, or that the message was already applied
     */
    default UpdateResult<V> update(String key, Message<?> message, Function<Optional<V>, V> fn) {
        return update(key, Source.of(message), fn);
    }

    /**
     * The general form of update: {@code fn} returns the new value, or empty to delete the key.
     * With a source the update is apply-once, see the class description.
     *
     * @param key    the key to update
     * @param source the message this update is for; empty for an update that is not apply-once
     * @param fn     receives the current value (empty if none) and returns the new one, or empty to delete the key; may run several times
     * @return what was written, or that the source was already applied
     */
    UpdateResult<V> compute(String key, Optional<Source> source, Function<Optional<V>, Optional<V>> fn);

    /**
     * An apply-once update that also keeps output in the key's outbox, in the same atomic write:
     * {@code fn} returns the new value and the output to keep for {@code source} until
     * {@link #acknowledge(String, Source)}. When the source is already applied, {@code fn} does
     * not run, nothing is written, and the result's {@link UpdateResult#pending()} holds the
     * source's output if it is still pending, so the caller can deliver it again.
     *
     * @param key    the key to update
     * @param source the message this update is for
     * @param fn receives the current value (empty if none); may run several times, keep it free of
     *           side effects
     * @return what was written, or that the source was already applied, with its pending output if any
     */
    UpdateResult<V> computeWithOutput(String key, Source source, Function<Optional<V>, Change<V>> fn);

    /**
     * Removes the output pending for {@code source} from a key's outbox, after it was delivered.
     * A write (the version goes up by one) that changes nothing else.
     *
     * @return false, writing nothing, if no output is pending for that source
     * @param key    the key whose outbox holds the output
     * @param source the message the output was derived from
     */
    boolean acknowledge(String key, Source source);

    /**
     * Passes every output pending in this store's outboxes to {@code action}, in no particular
     * order: what a processor delivers again when it starts. Uses the backend's outbox index, so it
     * reads only the keys with pending output.
     *
     * @param action receives each pending output
     */
    void forEachPending(Consumer<PendingOutput> action);

    /**
     * Deletes a key's value, leaving a tombstone; a no-op result if it has none.
     *
     * @param key the key to delete
     * @return what was written
     */
    default UpdateResult<V> delete(String key) {
        return compute(key, Optional.empty(), current -> Optional.empty());
    }

    /**
     * An apply-once delete for the message at {@code source}.
     *
     * @param key    the key to delete
     * @param source the message this delete is for
     * @return what was written, or that the source was already applied
     */
    default UpdateResult<V> delete(String key, Source source) {
        return compute(key, Optional.of(source), current -> Optional.empty());
    }

    /**
     * The keys starting with {@code prefix} and their values, sorted by key; {@code ""} for all.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @return the matching keys and values, sorted by key
     */
    SortedMap<String, V> entries(String prefix);

    /**
     * Calls {@code action} for each key starting with {@code prefix}, in key order, without
     * holding all values in memory at once.
     *
     * @param prefix the key prefix; {@code ""} for all keys
     * @param action receives each key and its value
     */
    void forEach(String prefix, BiConsumer<String, V> action);

    /**
     * The newest position of {@code topic} applied to a key, if any (also for a deleted key): a
     * message at or before it will be refused.
     *
     * @param key   the key
     * @param topic the topic name
     * @return the newest applied position, or empty when none is recorded
     */
    Optional<Position> appliedPosition(String key, String topic);

    /** {@return what this handle has done so far} */
    StateStoreStats stats();

    private static <V> V requireValue(V value, String key) {
        if (value == null) {
            throw new IllegalArgumentException("The update function for key \"" + key + "\" returned null; return"
                    + " the new value, or use compute(...) returning Optional.empty() or delete(...) to remove the key");
        }
        return value;
    }
}
