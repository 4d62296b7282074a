package io.streamable.benchmarks.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The ingredients of {@link BenchPayload}s, made once per scenario so neither side pays for them:
 * sharding keys spread over {@value #KEYS} entities and a body sized to the requested payload size.
 */
public final class Payloads {
    /** How many distinct sharding keys the messages use. */
    public static final int KEYS = 100;

    private final String[] keys = new String[KEYS];
    private final String body;

    /** Ingredients for payloads of about {@code payloadBytes} bytes of JSON. */
    public Payloads(int payloadBytes) {
        for (int i = 0; i < KEYS; i++) {
            keys[i] = "customer-" + i;
        }
        int overhead;
        try {
            overhead = new ObjectMapper().writeValueAsBytes(new BenchPayload(500_000, keys[KEYS - 1], System.nanoTime(), ""))
                    .length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Jackson cannot encode the benchmark payload", e);
        }
        body = "x".repeat(Math.max(0, payloadBytes - overhead));
    }

    /** The sharding key of message {@code seq}. */
    public String key(long seq) {
        return keys[(int) (seq % KEYS)];
    }

    /** A payload for message {@code seq}, stamped now. */
    public BenchPayload next(long seq) {
        return new BenchPayload(seq, key(seq), System.nanoTime(), body);
    }

    /**
     * A payload for message {@code seq} stamped with the time it was due to be sent, so a sender
     * that falls behind its schedule shows up in the latencies (no coordinated omission).
     */
    public BenchPayload dueAt(long seq, long dueNanos) {
        return new BenchPayload(seq, key(seq), dueNanos, body);
    }
}
