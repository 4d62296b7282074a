package io.streamable.benchmarks.harness;

import java.util.Optional;

/**
 * One benchmark: the framework doing something through the public API, and a baseline doing the
 * equivalent work with the raw client (or bare Jackson), run alternately in the same JVM so machine
 * drift hits both. Each side times only its measured part and returns it as a {@link Round}.
 */
public interface Scenario extends AutoCloseable {

    /** The name used by the filter and in the RESULT line, such as {@code inmemory-e2e}. */
    String name();

    /** One line: what the framework side does and what the baseline does. */
    String description();

    /**
     * The URL scheme of the topic backend the framework side runs on, if it uses one; the scenario
     * is skipped when no backend for it is on the class path.
     */
    default Optional<String> topicBackend() {
        return Optional.of("memory");
    }

    /** Measured rounds per side unless {@code --rounds} says otherwise; more for short, noisy scenarios. */
    default int defaultRounds() {
        return 3;
    }

    /**
     * Whether a run without {@code --scenario} includes this scenario; false for scenarios too long
     * for the full run's time budget, which run only when a {@code --scenario} pattern names them.
     */
    default boolean inDefaultRun() {
        return true;
    }

    /**
     * What the baseline's median throughput is multiplied by in the RESULT line: 1 for a baseline
     * that does the same work; N for a scaling scenario whose baseline is one worker and whose
     * target is N times it.
     */
    default double baselineScale() {
        return 1;
    }

    /** The payload size the RESULT line reports: {@code --size} unless the scenario uses a fixed payload. */
    default int payloadBytes(Settings settings) {
        return settings.payloadBytes();
    }

    /** What the headline figure is. */
    Unit unit();

    /** What the latency figures of each side span, printed with them. */
    String latencyMeaning();

    /** Starts servers and prepares data; not measured. */
    void setUp(Settings settings) throws Exception;

    /** One round of the framework side. */
    Round framework(int round) throws Exception;

    /** One round of the baseline side. */
    Round baseline(int round) throws Exception;

    /** Stops what {@link #setUp} started; idempotent. */
    @Override
    default void close() throws Exception {
    }
}
