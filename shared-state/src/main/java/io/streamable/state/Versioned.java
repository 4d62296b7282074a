package io.streamable.state;

import io.streamable.Position;

import java.util.Map;
import java.util.Objects;

/**
 * A key's value with its bookkeeping.
 *
 * @param key     the key
 * @param value   the value
 * @param version incremented by every write to the key, starting at 1
 * @param applied for each source topic, the position of the newest update applied to this key
 *                from it (for partitioned topics, the newest offset per partition)
 * @param <V>     the value type
 */
public record Versioned<V>(String key, V value, long version, Map<String, Position> applied) {

    /**
     * Checks that key and value are given and copies {@code applied}, so the value stays immutable.
     *
     * @param key     the key
     * @param value   the value
     * @param version incremented by every write to the key, starting at 1
     * @param applied for each source topic, the position of the newest update applied to this key
     *        from it (for partitioned topics, the newest offset per partition)
     */
    public Versioned {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        applied = Map.copyOf(applied);
    }
}
