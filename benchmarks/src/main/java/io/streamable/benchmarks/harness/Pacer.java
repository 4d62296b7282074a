package io.streamable.benchmarks.harness;

import java.util.concurrent.locks.LockSupport;

/** Sends at a steady rate: tells when message {@code i} is due and waits for it. */
public final class Pacer {
    private final long start;
    private final long intervalNanos;

    /** A pacer starting now at {@code perSecond} messages per second. */
    public Pacer(int perSecond) {
        this.start = System.nanoTime();
        this.intervalNanos = 1_000_000_000L / perSecond;
    }

    /** Waits until message {@code i} is due and returns its due time. */
    public long awaitTurn(long i) {
        long due = start + i * intervalNanos;
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
        return due;
    }
}
