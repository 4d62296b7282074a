package io.streamable.state.spi;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One key as a state backend stores it: bytes and bookkeeping, no types.
 *
 * @param key     the key
 * @param version 1 for the first write, incremented by every write
 * @param value   the encoded value; empty for a tombstone (a deleted key that keeps its
 *                version and recorded positions). The array is not copied: do not modify it.
 * @param applied for each source topic, the encoded {@link io.streamable.Position} of the newest
 *                message applied to this key from it
 * @param outbox  output not yet acknowledged, by source ({@code topic@position}, see
 *                {@link io.streamable.state.Source#toString()}): opaque bytes the framework
 *                encodes, stored and returned unchanged. Written in the same atomic write as the
 *                value. The arrays are not copied: do not modify them.
 */
public record StoredState(String key, long version, Optional<byte[]> value, Map<String, String> applied,
                          Map<String, byte[]> outbox) {

    /**
     * Checks the components, the version at least 1, and copies the maps, so the state stays immutable.
     *
     * @param key     the key
     * @param version 1 for the first write, incremented by every write
     * @param value   the encoded value; empty for a tombstone (a deleted key that keeps its
     *        version and recorded positions). The array is not copied: do not modify it.
     * @param applied for each source topic, the encoded {@link io.streamable.Position} of the newest
     *        message applied to this key from it
     * @param outbox  output not yet acknowledged, by source ({@code topic@position}, see
     *        {@link io.streamable.state.Source#toString()}): opaque bytes the framework
     *        encodes, stored and returned unchanged. Written in the same atomic write as the
     *        value. The arrays are not copied: do not modify them.
     */
    public StoredState {
        Objects.requireNonNull(key, "key");
        if (version < 1) {
            throw new IllegalArgumentException("A stored version starts at 1, got " + version);
        }
        Objects.requireNonNull(value, "value");
        applied = Map.copyOf(applied);
        outbox = Map.copyOf(outbox);
    }

    /**
     * A key without pending output.
     *
     * @param key     the key
     * @param version 1 for the first write, incremented by every write
     * @param value   the encoded value; empty for a tombstone (a deleted key that keeps its
     *        version and recorded positions). The array is not copied: do not modify it.
     * @param applied for each source topic, the encoded {@link io.streamable.Position} of the newest
     *        message applied to this key from it
     */
    public StoredState(String key, long version, Optional<byte[]> value, Map<String, String> applied) {
        this(key, version, value, applied, Map.of());
    }

    /** {@return whether this is a deleted key kept for its version and positions} */
    public boolean isTombstone() {
        return value.isEmpty();
    }

    /** {@return whether the key has output not yet acknowledged, so it belongs in the backend's outbox index} */
    public boolean hasPendingOutput() {
        return !outbox.isEmpty();
    }

    @Override
    public String toString() {
        return "StoredState[" + key + " v" + version + (isTombstone() ? " tombstone" : " " + value.get().length + " bytes")
                + " applied=" + applied + (outbox.isEmpty() ? "" : " outbox=" + outbox.keySet()) + "]";
    }
}
