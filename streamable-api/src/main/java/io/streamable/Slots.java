package io.streamable;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * How a topic's sharding keys are split into slots, the unit of work a consumer group hands
 * between its members: one hash for every backend, Kafka's partitioner's. A key's slot is the
 * positive murmur2 hash of its UTF-8 bytes modulo the slot count, byte for byte what Kafka's
 * default partitioner computes, so on Kafka a slot is a partition and on the other backends a
 * key lands in the slot whose number its Kafka partition would have.
 *
 * <p>A group's slot count is fixed when the group is created and recorded with it: changing it
 * would move keys between slots, and so between members, in the middle of their order.
 */
public final class Slots {
    /** The slot count of a group on a backend that has no partitions of its own (in-memory, MongoDB). */
    public static final int DEFAULT_COUNT = 16;

    private static final int SEED = 0x9747b28c;
    private static final int M = 0x5bd1e995;
    private static final int R = 24;

    private Slots() {
    }

    /**
     * The slot of a sharding key.
     *
     * @param shardingKey the record's sharding key
     * @param slots       the group's slot count, at least 1
     * @return a slot from 0 to {@code slots - 1}
     * @throws IllegalArgumentException if {@code slots} is below 1
     */
    public static int slotOf(String shardingKey, int slots) {
        Objects.requireNonNull(shardingKey, "shardingKey");
        if (slots < 1) {
            throw new IllegalArgumentException("A slot count must be at least 1, got " + slots);
        }
        return (murmur2(shardingKey.getBytes(StandardCharsets.UTF_8)) & 0x7fffffff) % slots;
    }

    /**
     * The 32-bit murmur2 hash Kafka's partitioner uses ({@code org.apache.kafka.common.utils.Utils.murmur2}).
     *
     * @param data the bytes to hash
     * @return the hash, possibly negative
     */
    public static int murmur2(byte[] data) {
        int length = data.length;
        int h = SEED ^ length;
        int whole = length / 4;
        for (int i = 0; i < whole; i++) {
            int at = i * 4;
            int k = (data[at] & 0xff) + ((data[at + 1] & 0xff) << 8) + ((data[at + 2] & 0xff) << 16)
                    + ((data[at + 3] & 0xff) << 24);
            k *= M;
            k ^= k >>> R;
            k *= M;
            h *= M;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
                // fall through: the remaining bytes mix in as in Kafka
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= M;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= M;
        h ^= h >>> 15;
        return h;
    }
}
