package io.streamable.state.processor;

import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.TopicName;
import io.streamable.client.Streamable;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.FailureListener;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.json.JsonCodecFactory;
import io.streamable.state.StateStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Options for a {@link StateProcessor}; make one with {@link StateProcessor#builder}. A name and
 * at least one input are required.
 *
 * @param <V> the state type
 * @param <O> the output payload type ({@code Void} without an output topic)
 */
public final class StateProcessorBuilder<V, O> {
    /**
     * 10 attempts, 100 ms growing to 5 s, then stop: about 20 s of retries, so a short state or
     * topic backend outage does not stop the processor. Stopping never loses anything: the failed
     * message is not acknowledged and is handled again after a restart, or by another instance.
     */
    public static final FailurePolicy DEFAULT_FAILURE_POLICY = FailurePolicy.retry(10)
            .withBackoff(java.time.Duration.ofMillis(100), java.time.Duration.ofSeconds(5));

    /** How long an instance leaves another's pending output alone; see {@link #outboxGrace}. */
    public static final java.time.Duration DEFAULT_OUTBOX_GRACE = java.time.Duration.ofSeconds(30);

    final Streamable streamable;
    final StateStore<V> store;
    final Topic<O> output;
    final List<Input<?, V, O>> inputs = new ArrayList<>();
    String name;
    String instanceId = UUID.randomUUID().toString().substring(0, 8);
    StartFrom startFrom = StartFrom.beginning();
    int concurrency = 1;
    int shardIndex = 0;
    int shardCount = 1;
    FailurePolicy failurePolicy = DEFAULT_FAILURE_POLICY;
    Optional<FailureListener> failureListener = Optional.empty();
    Runnable onCaughtUp = () -> { };
    PayloadCodecFactory outboxCodecs = JsonCodecFactory.defaults();
    java.time.Duration outboxGrace = DEFAULT_OUTBOX_GRACE;

    StateProcessorBuilder(Streamable streamable, StateStore<V> store, Topic<O> output) {
        this.streamable = Objects.requireNonNull(streamable, "streamable");
        this.store = Objects.requireNonNull(store, "store");
        this.output = output;
    }

    /** One input topic with its key function and transition. */
    record Input<T, V, O>(Topic<T> topic, Function<Message<T>, String> keyOf, Transition<T, V, O> transition) {
    }

    /**
     * The processor's name, the same for all its instances; follows the topic name rules. Required.
     *
     * @param name the processor's name
     * @return this builder
     */
    public StateProcessorBuilder<V, O> name(String name) {
        this.name = requireName(name, "processor name");
        return this;
    }

    /**
     * This instance's id, stable across its restarts (a host or pod name); follows the topic name
     * rules. It names the output this instance leaves in the outbox, so a restart delivers it at
     * once. On a topic backend without consumer groups it is also part of the consumer name, so the
     * instance resumes where it stopped; a random id (the default) then replays from
     * {@link #startFrom(StartFrom)} on every start.
     *
     * @param instanceId this instance's id
     * @return this builder
     */
    public StateProcessorBuilder<V, O> instanceId(String instanceId) {
        this.instanceId = requireName(instanceId, "instance id");
        return this;
    }

    /**
     * Consumes {@code topic}: each message updates the state key {@code keyOf} returns, through
     * {@code transition}. Give the messages of one key one sharding key so they stay in order.
     *
     * @param topic      the input topic
     * @param keyOf      the state key a message updates
     * @param transition the key's next state, and the messages to derive, for each message
     * @param <T>        the input payload type
     * @return this builder
     */
    public <T> StateProcessorBuilder<V, O> input(Topic<T> topic, Function<Message<T>, String> keyOf,
                                                 Transition<T, V, O> transition) {
        Objects.requireNonNull(topic, "topic");
        if (inputs.stream().anyMatch(input -> input.topic().name().equals(topic.name()))) {
            throw new IllegalArgumentException("Topic \"" + topic.name() + "\" is already an input of this processor;"
                    + " handle all of its messages in one transition");
        }
        inputs.add(new Input<>(topic, Objects.requireNonNull(keyOf, "keyOf"),
                Objects.requireNonNull(transition, "transition")));
        return this;
    }

    /**
     * Makes this instance handle only shard {@code index} of {@code count}: the messages whose
     * sharding key hashes to it ({@code floorMod(shardingKey.hashCode(), count) == index}); it
     * acknowledges the others without touching the state store. Every shard needs at least one
     * running instance, and may have several (they dedupe through apply-once as usual). The
     * shard is part of the consumer name, {@code NAME.shard-INDEX-of-COUNT[.INSTANCE_ID]}, so moving
     * an instance id to another shard layout starts it afresh from {@link #startFrom} instead of
     * resuming past messages it never handled. Default: one shard, every message. On a backend with
     * consumer groups the instances of a processor split the work by themselves; shards then only
     * add a static split on top (the instances of one shard form a group).
     *
     * <p>Requires that every message updating one state key carries one sharding key, which the
     * apply-once invariant requires anyway.
     *
     * @param index this instance's shard, from 0 to {@code count - 1}
     * @param count the number of shards, at least 1
     * @return this builder
     */
    public StateProcessorBuilder<V, O> shard(int index, int count) {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("A shard is an index from 0 to count-1 of a count of at least 1; got "
                    + index + " of " + count);
        }
        this.shardIndex = index;
        this.shardCount = count;
        return this;
    }

    /**
     * Where an instance with no saved position starts; default the beginning.
     *
     * @param startFrom where an instance with no saved position starts
     * @return this builder
     */
    public StateProcessorBuilder<V, O> startFrom(StartFrom startFrom) {
        this.startFrom = Objects.requireNonNull(startFrom, "startFrom(null): pass StartFrom.beginning(), StartFrom.latest() or StartFrom.after(position)");
        return this;
    }

    /**
     * Handles messages of different sharding keys on up to {@code threads} threads; default 1.
     *
     * @param threads how many messages may be handled at once; at least 1
     * @return this builder
     */
    public StateProcessorBuilder<V, O> concurrency(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + threads);
        }
        this.concurrency = threads;
        return this;
    }

    /**
     * What the input consumers do when handling fails; default {@link #DEFAULT_FAILURE_POLICY}.
     *
     * @param policy retries, backoff and what happens after the last attempt
     * @return this builder
     */
    public StateProcessorBuilder<V, O> failurePolicy(FailurePolicy policy) {
        this.failurePolicy = Objects.requireNonNull(policy, "policy");
        return this;
    }

    /**
     * Receives the input consumers' failures; by default they are logged.
     *
     * @param listener receives each failure; replaces the default logging
     * @return this builder
     */
    public StateProcessorBuilder<V, O> onFailure(FailureListener listener) {
        this.failureListener = Optional.of(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Called whenever an input consumer has handled everything available.
     *
     * @param callback the action to run each time an input catches up
     * @return this builder
     */
    public StateProcessorBuilder<V, O> onCaughtUp(Runnable callback) {
        this.onCaughtUp = Objects.requireNonNull(callback, "callback");
        return this;
    }

    /**
     * How long output pending in the outbox is left to the instance that wrote it (which is
     * normally appending it at that moment) before any other instance appends it; default
     * {@link #DEFAULT_OUTBOX_GRACE}. Every instance also looks for such output this often. An
     * instance always appends, at once, the pending output a previous run under its own consumer
     * name left. Shorter means faster recovery of another instance's crash and more duplicates
     * while a slow append is still under way (downstream deduplicates by
     * {@link StateProcessor#SOURCE_HEADER}).
     *
     * @param grace how long other instances leave pending output alone
     * @return this builder
     */
    public StateProcessorBuilder<V, O> outboxGrace(java.time.Duration grace) {
        if (grace == null || grace.isNegative() || grace.isZero()) {
            throw new IllegalArgumentException("outboxGrace must be a positive duration, got " + grace);
        }
        this.outboxGrace = grace;
        return this;
    }

    /**
     * How output payloads are encoded while they wait in the state store's outbox (see
     * {@link StateProcessor}); default JSON through Jackson. Set it when the output payload type
     * needs the codec the {@link Streamable} was built with.
     *
     * @param factory makes the codec for the output payload type
     * @return this builder
     */
    public StateProcessorBuilder<V, O> outboxCodecs(PayloadCodecFactory factory) {
        this.outboxCodecs = Objects.requireNonNull(factory, "codec factory");
        return this;
    }

    /**
     * Starts consuming every input.
     *
     * @return the running processor, which the caller closes
     * @throws IllegalStateException if the name or inputs are missing
     * @throws io.streamable.consume.ConsumerNameInUseException on a topic backend without consumer groups, if
     *         an instance with this id is already running
     */
    public StateProcessor start() {
        if (name == null) {
            throw new IllegalStateException("A state processor needs a name: call name(\"balances\") before start()");
        }
        if (inputs.isEmpty()) {
            throw new IllegalStateException("A state processor needs at least one input: call input(topic, keyOf,"
                    + " transition) before start()");
        }
        requireName(consumerName(), "consumer name (processor name, shard and instance id)");
        return DefaultStateProcessor.start(this);
    }

    /** {@code NAME.INSTANCE_ID}, or {@code NAME.shard-I-of-N.INSTANCE_ID} for a sharded instance: this instance alone. */
    String consumerName() {
        return groupName() + "." + instanceId;
    }

    /** {@code NAME}, or {@code NAME.shard-I-of-N} for a sharded instance: the consumer group of its instances. */
    String groupName() {
        return name + (shardCount > 1 ? ".shard-" + shardIndex + "-of-" + shardCount : "");
    }

    private static String requireName(String name, String what) {
        if (!TopicName.isValid(name)) {
            throw new IllegalArgumentException("Invalid " + what + " " + (name == null ? "null" : '"' + name + '"')
                    + ": use 1-" + TopicName.MAX_LENGTH + " characters of A-Z a-z 0-9 . _ -, starting with a letter"
                    + " or digit");
        }
        return name;
    }
}
