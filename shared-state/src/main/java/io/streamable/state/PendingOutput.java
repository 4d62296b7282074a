package io.streamable.state;

import java.util.Objects;

/**
 * Output kept in a key's outbox and not acknowledged yet: what an apply-once update for
 * {@link #source()} asked to be delivered (see {@link StateStore#computeWithOutput}).
 *
 * @param key     the state key
 * @param source  the message whose update stored it
 * @param version the key's version written by that update
 * @param output  the bytes as given; not copied, do not modify them
 */
public record PendingOutput(String key, Source source, long version, byte[] output) {

    /**
     * Checks that key, source and output are given.
     *
     * @param key     the state key
     * @param source  the message whose update stored it
     * @param version the key's version written by that update
     * @param output  the bytes as given; not copied, do not modify them
     */
    public PendingOutput {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(output, "output");
    }

    @Override
    public String toString() {
        return "PendingOutput[" + key + " from " + source + " v" + version + ", " + output.length + " bytes]";
    }
}
