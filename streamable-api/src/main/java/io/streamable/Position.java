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
    /** The partitions of a multi-partition position (two or more); {@code null} for a single-partition one. */
    private final SortedMap<Integer, Long> offsets;
    /** The partition of a single-partition position; -1 for a multi-partition one. */
    private final int partition;
    /** The offset of a single-partition position; -1 for a multi-partition one. */
    private final long offset;
    /** {@link #offsets()} of a single-partition position, built on first use (volatile: published safely). */
    private volatile SortedMap<Integer, Long> view;

    // Most positions name one partition (every single-log backend, every Kafka record): two
    // primitives instead of a TreeMap, built on every read of every message.
    private Position(int partition, long offset) {
        this.offsets = null;
        this.partition = partition;
        this.offset = offset;
    }

    private Position(SortedMap<Integer, Long> offsets) {
        this.offsets = offsets;
        this.partition = -1;
        this.offset = -1;
    }

    private static Position of(TreeMap<Integer, Long> map) {
        if (map.size() == 1) {
            Map.Entry<Integer, Long> only = map.firstEntry();
            return new Position(only.getKey(), only.getValue());
        }
        return new Position(map);
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
        return new Position(checkPartition(partition), checkOffset(offset));
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
        return of(map);
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
            return of(map);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Not a position: \"" + encoded
                    + "\". Expected an offset such as \"42\" or partition:offset pairs such as \"0:42,3:17\""
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /** {@return the string form: {@code "42"} for a single-log position, {@code "0:42,3:17"} otherwise} */
    public String encode() {
        if (offsets == null) {
            return partition == 0 ? Long.toString(offset) : partition + ":" + offset;
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
        return offsets == null && partition == 0;
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
        return offset;
    }

    /**
     * The offset in {@code partition}, if this position mentions it.
     *
     * @param partition the partition
     * @return its offset, or empty when this position does not mention it
     */
    public OptionalLong offset(int partition) {
        if (offsets == null) {
            return partition == this.partition ? OptionalLong.of(offset) : OptionalLong.empty();
        }
        Long offset = offsets.get(partition);
        return offset == null ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** {@return every partition's offset, sorted by partition} */
    public SortedMap<Integer, Long> offsets() {
        if (offsets != null) {
            return Collections.unmodifiableSortedMap(offsets);
        }
        SortedMap<Integer, Long> built = view;
        if (built == null) {
            TreeMap<Integer, Long> map = new TreeMap<>();
            map.put(partition, offset);
            built = Collections.unmodifiableSortedMap(map);
            view = built;
        }
        return built;
    }

    /**
     * The position after consuming both this and {@code other}: the greater offset in each
     * partition. Consumers fold every handled message's position into their own this way.
     *
     * @param other another position of the same topic
     * @return the merged position
     */
    public Position merge(Position other) {
        if (offsets == null && other.offsets == null && partition == other.partition) {
            // the common case, folded once per handled message: no map at all
            return other.offset > offset ? other : this;
        }
        SortedMap<Integer, Long> mine = offsets();
        TreeMap<Integer, Long> merged = new TreeMap<>(mine);
        other.offsets().forEach((partition, offset) -> merged.merge(partition, offset, Math::max));
        return merged.equals(mine) ? this : of(merged);
    }

    /**
     * Whether a consumer at this position has consumed {@code other}: every offset of it is covered.
     *
     * @param other another position of the same topic
     * @return {@code true} when every offset of {@code other} is at most this position's offset in that partition
     */
    public boolean covers(Position other) {
        if (other.offsets == null) {
            OptionalLong mine = offset(other.partition);
            return mine.isPresent() && mine.getAsLong() >= other.offset;
        }
        for (Map.Entry<Integer, Long> entry : other.offsets.entrySet()) {
            OptionalLong mine = offset(entry.getKey());
            if (mine.isEmpty() || mine.getAsLong() < entry.getValue()) {
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
        if (offsets != null || other.offsets != null || partition != other.partition) {
            throw new IllegalArgumentException("Positions " + encode() + " and " + other.encode()
                    + " are not in the same single partition and have no order; compare per partition with offset(int)");
        }
        return Long.compare(offset, other.offset);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Position that)) {
            return false;
        }
        // a map of one entry is always stored compactly, so the two forms never stand for the same position
        if (offsets == null) {
            return that.offsets == null && partition == that.partition && offset == that.offset;
        }
        return offsets.equals(that.offsets);
    }

    @Override
    public int hashCode() {
        // what the one-entry map's hashCode was (Map.Entry: key hash ^ value hash), so hashes stay as they were
        return offsets == null ? Integer.hashCode(partition) ^ Long.hashCode(offset) : offsets.hashCode();
    }

    @Override
    public String toString() {
        return encode();
    }

    private static int checkPartition(int partition) {
        if (partition < 0) {
            throw new IllegalArgumentException("Partition must be >= 0, got " + partition);
        }
        return partition;
    }

    private static long checkOffset(long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("Offset must be >= 0, got " + offset);
        }
        return offset;
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
