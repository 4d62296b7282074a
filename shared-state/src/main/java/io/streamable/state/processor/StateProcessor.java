package io.streamable.state.processor;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.state.StateStore;

import java.util.concurrent.CompletableFuture;

/**
 * A stateless, scalable topic processor: it consumes one or more input topics, folds each message
 * into a key of a shared {@link StateStore} with an apply-once update, and optionally appends
 * derived messages to an output topic. Any number of identical instances may run at once, in one
 * process or many, and may stop, crash and restart at any time.
 *
 * <pre>{@code
 * StateProcessor processor = StateProcessor.builder(streamable, balances, balanceEvents)
 *     .name("balances")
 *     .instanceId("host-1")                       // stable per instance: it resumes where it stopped
 *     .input(transactions, m -> m.payload().account(), (account, m) -> Step.of(...))
 *     .start();
 * }</pre>
 *
 * <h2>How instances scale out</h2>
 * On a topic backend with consumer groups (in-memory; see
 * {@link io.streamable.backend.ConsumerGroups}) the instances of a processor consume under its
 * name, {@code NAME}, as one group: each handles its share of the sharding keys, one instance per
 * key at a time, and the keys of an instance that stops or dies move to the others, which go on
 * right after the last position saved for them. N instances do the work once, not N times. What
 * a moving key redelivers (handled but not yet saved) is refused by the state store's apply-once
 * rule (see {@link StateStore}), so the state stays exactly the fold of the input.
 *
 * <p>On a backend without consumer groups a consumer name admits one live consumer per topic, so
 * each instance consumes under its own name, {@code NAME.INSTANCE_ID}, and every instance reads
 * every message: apply-once makes exactly one of them apply each message, the others get
 * {@code ALREADY_APPLIED} and move on. More instances then add availability, not throughput: a
 * lagging or restarted instance catches up by being refused until it reaches new messages. Either
 * way the state is the same fold of the input however many instances run, provided each key's
 * messages share one sharding key (the state key is the natural choice), so they stay in order.
 *
 * <p>To split the work statically as well, use {@link StateProcessorBuilder#shard(int, int)}: an
 * instance of shard {@code i} of {@code n} touches the state store only for the sharding keys
 * that hash to {@code i} and passes over the rest (it still reads them). Run at least one instance
 * per shard, two or more for availability; the instances of a shard form a group (or, without
 * groups, dedupe through apply-once exactly as above).
 *
 * <p>Give each instance an id that survives its restarts (a host or pod name): a restarted
 * instance then resumes after its saved position. An instance with a new id starts at the
 * builder's {@code startFrom} (the beginning by default) and replays the topic, refused, until it
 * reaches new messages; starting a new id at {@code latest} is safe only while another instance
 * is keeping up.
 *
 * <h2>Output messages</h2>
 * The {@link Transition} computes the new state and the messages to emit together. The messages
 * are kept in the key's <b>outbox</b> ({@link StateStore#computeWithOutput}), in the same atomic
 * write as the new state, then appended to the output topic, then acknowledged (removed from the
 * outbox, one more write). So:
 * <ul>
 *   <li><b>Normal operation, any number of instances:</b> only the instance whose update was
 *       applied appends; refused (already applied) messages whose output was acknowledged emit
 *       nothing.</li>
 *   <li><b>Crash between the state update and the append</b> (process killed, connection lost,
 *       append failed after its retries): the output is <b>not lost</b>. The redelivered message
 *       is refused as already applied, finds its output pending and appends it; and every
 *       processor start appends the pending outputs of its input topics (found through the
 *       store's outbox index, not by reading every key), so a message that is not redelivered
 *       (a new instance id starting at {@code latest}, a skipped failure) is covered too.</li>
 *   <li><b>Duplicates:</b> a crash <em>after</em> the append and before the acknowledgement, or
 *       two instances delivering the same pending output at once, appends the output again.
 *       Every output message carries the header {@value #SOURCE_HEADER} with the input message's
 *       {@code topic@position}, the same on every copy: <b>deduplicate by it (with the message's
 *       index among its source's outputs if a step emits several)</b> to get exactly one output
 *       set per input message.</li>
 *   <li><b>Order:</b> two instances may apply consecutive messages of one key and append their
 *       outputs in either order, and a pending output appended late comes after newer ones. Each
 *       output message carries the headers {@value #KEY_HEADER}, {@value #VERSION_HEADER} (the
 *       state version its update produced, increasing per key) and {@value #SOURCE_HEADER}, so
 *       downstream consumers can restore the per-key order or drop what they have seen.</li>
 * </ul>
 * A failed append is logged at ERROR with the message's source and counted in
 * {@link ProcessorStats#emitFailures()}; outputs appended from the outbox are counted in
 * {@link ProcessorStats#redelivered()}.
 */
public interface StateProcessor extends AutoCloseable {

    /** Header with the state key an output message was derived for. */
    String KEY_HEADER = "state.key";
    /** Header with the key's state version written by the update that emitted the message. */
    String VERSION_HEADER = "state.version";
    /**
     * Header with the input message's {@code topic@position}: the same on every copy of an output,
     * so downstream consumers deduplicate by it.
     */
    String SOURCE_HEADER = "state.source";

    /**
     * A processor without an output topic.
     *
     * @param streamable the connection the inputs are consumed from
     * @param store      the state store the transitions update
     * @param <V>        the state type
     * @return a builder; {@link StateProcessorBuilder#start()} starts the processor
     */
    static <V> StateProcessorBuilder<V, Void> builder(Streamable streamable, StateStore<V> store) {
        return new StateProcessorBuilder<>(streamable, store, null);
    }

    /**
     * A processor that appends derived messages to {@code output}.
     *
     * @param streamable the connection the inputs are consumed from and the output appended to
     * @param store      the state store the transitions update
     * @param output     the topic derived messages are appended to
     * @param <V>        the state type
     * @param <O>        the output payload type
     * @return a builder; {@link StateProcessorBuilder#start()} starts the processor
     */
    static <V, O> StateProcessorBuilder<V, O> builder(Streamable streamable, StateStore<V> store, Topic<O> output) {
        return new StateProcessorBuilder<>(streamable, store, java.util.Objects.requireNonNull(output, "output"));
    }

    /** {@return the processor's name, shared by all its instances} */
    String name();

    /** {@return this instance's id} */
    String instanceId();

    /**
     * The consumer name this instance uses on each input topic: the group {@code NAME} (or
     * {@code NAME.shard-INDEX-of-COUNT} for a sharded instance) on a backend with consumer groups;
     * {@code NAME.INSTANCE_ID} (or {@code NAME.shard-INDEX-of-COUNT.INSTANCE_ID}) on one without.
     *
     * @return the consumer name
     */
    String consumerName();

    /**
     * How many input messages this instance has not handled yet, over all inputs.
     *
     * @return the number of input messages not handled yet; 0 when caught up
     */
    long lag();

    /**
     * Whether every input consumer is still running.
     *
     * @return {@code true} while every input consumer is running
     */
    boolean isRunning();

    /**
     * Completes when the processor is closed, or exceptionally when an input consumer stopped on
     * a failure (the processor then closes its other inputs).
     *
     * @return a future that completes once the processor has stopped
     */
    CompletableFuture<Void> stopped();

    /** {@return what this instance has done} */
    ProcessorStats stats();

    /**
     * Stops consuming (waiting for running handlers, as consumers do) and closes the output
     * producer. Does not close the {@link Streamable} or the state store. Idempotent.
     */
    @Override
    void close();
}
