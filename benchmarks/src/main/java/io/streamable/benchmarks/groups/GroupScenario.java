package io.streamable.benchmarks.groups;

import io.streamable.Slots;
import io.streamable.Topic;
import io.streamable.benchmarks.harness.BenchPayload;
import io.streamable.benchmarks.harness.Payloads;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the group scenarios share: the backend, the {@value #KEYS} sharding keys and the producer
 * that fills a round's topic.
 *
 * <p>The keys are chosen so that each of the 16 slots holds exactly {@value #KEYS}/16 of them (so
 * each of Kafka's 4 partitions holds 16): the scenarios measure how the group splits work, not
 * how evenly murmur2 happens to spread 64 names (with {@code key-0..key-63} Kafka's 4 partitions
 * get 14, 21, 14 and 15 keys, which alone caps the 4-member ratio at 16/21).
 */
abstract class GroupScenario implements Scenario {
    /** Distinct sharding keys of every round. */
    static final int KEYS = 64;

    final GroupBackend backend;
    Settings settings;
    List<String> keys;
    private Payloads payloads;

    GroupScenario(GroupBackend backend) {
        this.backend = backend;
    }

    @Override
    public Optional<String> topicBackend() {
        return Optional.of(backend.scheme());
    }

    @Override
    public boolean inDefaultRun() {
        return false; // minutes on three backends: run with --scenario 'group-*'
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        this.settings = settings;
        this.payloads = new Payloads(settings.payloadBytes());
        this.keys = balancedKeys(KEYS, Slots.DEFAULT_COUNT);
        backend.start(settings);
    }

    /** {@code count} keys {@code entity-<i>}, the same number in each of {@code slots} slots. */
    static List<String> balancedKeys(int count, int slots) {
        int perSlot = count / slots;
        int[] inSlot = new int[slots];
        List<String> keys = new ArrayList<>(count);
        for (int i = 0; keys.size() < count; i++) {
            String key = "entity-" + i;
            int slot = Slots.slotOf(key, slots);
            if (inSlot[slot] < perSlot) {
                inSlot[slot]++;
                keys.add(key);
            }
        }
        return List.copyOf(keys);
    }

    static Topic<BenchPayload> topic(String name) {
        return Topic.of(name, BenchPayload.class);
    }

    /** The payload of message {@code seq}: keys in turn, stamped now. */
    BenchPayload payload(int seq) {
        BenchPayload filler = payloads.next(seq);
        return new BenchPayload(seq, keys.get(seq % KEYS), filler.sentNanos(), filler.body());
    }

    /**
     * Appends messages {@code 0..count-1} to {@code topic} in batches, pipelined (appends not waited
     * for one by one), and returns once all are acknowledged.
     */
    void produce(Streamable connection, Topic<BenchPayload> topic, int count) {
        try (Producer<BenchPayload> producer = connection.producer(topic)) {
            List<CompletableFuture<?>> pending = new ArrayList<>();
            for (int from = 0; from < count; from += settings.batchSize()) {
                int to = Math.min(count, from + settings.batchSize());
                List<OutgoingMessage<BenchPayload>> batch = new ArrayList<>(to - from);
                for (int seq = from; seq < to; seq++) {
                    BenchPayload payload = payload(seq);
                    batch.add(OutgoingMessage.of(payload.key(), payload));
                }
                pending.add(producer.appendAll(batch));
            }
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        }
    }

    /** Produces on a thread of its own, so the members start handling while the rest is appended. */
    Thread produceInBackground(Streamable connection, Topic<BenchPayload> topic, int count) {
        Thread thread = new Thread(() -> produce(connection, topic, count), "group-bench-producer");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void close() {
        backend.close();
    }
}
