package io.streamable;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Where a message sits in a topic, assigned by the backend when it accepts the message.
 *
 * <p>A position is a set of {@code partition -> offset} pairs. Backends with one log per topic
 * (in-memory, MongoDB) use partition {@code 0} only, so their positions are totally ordered and
 * encode as a bare number ({@code "42"}). Partitioned backends (Kafka) give each message the
 * offset within its partition; a consumer's position is then the last offset consumed in every
 * partition it has seen, encoded as {@code "0:42,3:17"}.
 *
 * <p>Starting a consumer {@link io.streamable.consume.StartFrom#after(Position) after} a position
 * delivers, in each partition, the messages with a greater offset, and every message of
 * partitions the position does not mention.
 *
 * <p>Positions are immutable, compare by value and survive a round trip through
 * {@link #encode()} and {@link #parse(String)}, so users may store them anywhere.
 */
public final class Position {
    private final SortedMap<Integer, Long> offsets;

    private Position(SortedMap<Integer, Long> offsets) {
        this.offsets = offsets;
    }

    /**
     * The position of offset {@code offset} in a single-log topic (partition 0).
     *
     * @param offset the offset, at least 0
     * @return the position
     */
    public static Position of(long offset) {
        return of(0, offset);
    }

    /**
     * The position of {@code offset} within {@code partition}.
     *
     * @param partition the partition, at least 0
     * @param offset    the offset within it, at least 0
     * @return the position
     */
    public static Position of(int partition, long offset) {
        TreeMap<Integer, Long> map = new TreeMap<>();
        map.put(checkPartition(partition), checkOffset(offset));
        return new Position(map);
    }

    /**
     * A position over several partitions.
     *
     * @param offsets each partition's offset
     * @return the position
     */
    public static Position of(Map<Integer, Long> offsets) {
        Objects.requireNonNull(offsets, "offsets");
        if (offsets.isEmpty()) {
            throw new IllegalArgumentException("A position needs at least one partition offset");
        }
        TreeMap<Integer, Long> map = new TreeMap<>();
        offsets.forEach((partition, offset) -> map.put(checkPartition(partition), checkOffset(offset)));
        return new Position(map);
    }

    /**
     * Decodes what {@link #encode()} produced: {@code "42"} or {@code "0:42,3:17"}.
     *
     * @param encoded the string form
     * @return the position it stands for
     * @throws IllegalArgumentException if {@code encoded} is not a position
     */
    public static Position parse(String encoded) {
        Objects.requireNonNull(encoded, "encoded position");
        String text = encoded.trim();
        try {
            if (!text.contains(":")) {
                return of(Long.parseLong(text));
            }
            TreeMap<Integer, Long> map = new TreeMap<>();
            for (String pair : text.split(",")) {
                int colon = pair.indexOf(':');
                if (colon < 0) {
                    throw new NumberFormatException("missing ':' in " + pair);
                }
                Integer partition = checkPartition(Integer.parseInt(pair.substring(0, colon).trim()));
                if (map.put(partition, checkOffset(Long.parseLong(pair.substring(colon + 1).trim()))) != null) {
                    throw new NumberFormatException("partition " + partition + " appears twice");
                }
            }
            return new Position(map);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Not a position: \"" + encoded
                    + "\". Expected an offset such as \"42\" or partition:offset pairs such as \"0:42,3:17\""
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /** {@return the string form: {@code "42"} for a single-log position, {@code "0:42,3:17"} otherwise} */
    public String encode() {
        if (isSingleLog()) {
            return Long.toString(offsets.get(0));
        }
        StringBuilder text = new StringBuilder();
        offsets.forEach((partition, offset) -> {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(partition).append(':').append(offset);
        });
        return text.toString();
    }

    /**
     * Whether this is a position in a single-log topic: partition 0 only.
     *
     * @return {@code true} when this position mentions partition 0 only
     */
    public boolean isSingleLog() {
        return offsets.size() == 1 && offsets.containsKey(0);
    }

    /**
     * The offset of a single-log position.
     *
     * @return the offset in partition 0
     * @throws IllegalStateException for a partitioned position; use {@link #offsets()}
     */
    public long offset() {
        if (!isSingleLog()) {
            throw new IllegalStateException("Position " + encode() + " spans partitions; read offsets() instead");
        }
        return offsets.get(0);
    }

    /**
     * The offset in {@code partition}, if this position mentions it.
     *
     * @param partition the partition
     * @return its offset, or empty when this position does not mention it
     */
    public OptionalLong offset(int partition) {
        Long offset = offsets.get(partition);
        return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** {@return every partition's offset, sorted by partition} */
    public SortedMap<Integer, Long> offsets() {
        return Collections.unmodifiableSortedMap(offsets);
    }

    /**
     * The position after consuming both this and {@code other}: the greater offset in each
     * partition. Consumers fold every handled message's position into their own this way.
     *
     * @param other another position of the same topic
     * @return the merged position
     */
    public Position merge(Position other) {
        if (offsets.size() == 1 && other.offsets.size() == 1) {
            // the common case, folded once per handled message: skip the map copy
            Integer partition = offsets.firstKey();
            if (partition.equals(other.offsets.firstKey())) {
                return other.offsets.get(partition) > offsets.get(partition) ? other : this;
            }
        }
        TreeMap<Integer, Long> merged = new TreeMap<>(offsets);
        other.offsets.forEach((partition, offset) -> merged.merge(partition, offset, Math::max));
        return merged.equals(offsets) ? this : new Position(merged);
    }

    /**
     * Whether a consumer at this position has consumed {@code other}: every offset of it is covered.
     *
     * @param other another position of the same topic
     * @return {@code true} when every offset of {@code other} is at most this position's offset in that partition
     */
    public boolean covers(Position other) {
        for (Map.Entry<Integer, Long> entry : other.offsets.entrySet()) {
            Long mine = offsets.get(entry.getKey());
            if (mine == null || mine < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Orders two positions of the same single partition by offset, which is the order the backend
     * accepted them in. Positions are deliberately not {@link Comparable}: positions in different
     * partitions have no order, so they cannot be sorted; compare those per partition with
     * {@link #offset(int)}, or ask {@link #covers(Position)}.
     *
     * @param other a position in the same single partition
     * @return negative, zero or positive as this position comes before, at or after {@code other}
     * @throws IllegalArgumentException if either position spans several partitions or they name
     *                                  different partitions
     */
    public int compareInPartition(Position other) {
        if (offsets.size() != 1 || other.offsets.size() != 1 || !offsets.firstKey().equals(other.offsets.firstKey())) {
            throw new IllegalArgumentException("Positions " + encode() + " and " + other.encode()
                    + " are not in the same single partition and have no order; compare per partition with offset(int)");
        }
        return Long.compare(offsets.get(offsets.firstKey()), other.offsets.get(other.offsets.firstKey()));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Position that && offsets.equals(that.offsets);
    }

    @Override
    public int hashCode() {
        return offsets.hashCode();
    }

    @Override
    public String toString() {
        return encode();
    }

    private static Integer checkPartition(Integer partition) {
        if (partition == null || partition < 0) {
            throw new IllegalArgumentException("Partition must be >= 0, got " + partition);
        }
        return partition;
    }

    private static Long checkOffset(Long offset) {
        if (offset == null || offset < 0) {
            throw new IllegalArgumentException("Offset must be >= 0, got " + offset);
        }
        return offset;
    }
}
