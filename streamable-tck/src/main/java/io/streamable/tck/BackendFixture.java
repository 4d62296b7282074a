package io.streamable.tck;

import io.streamable.client.Streamable;

import java.time.Duration;
import java.util.Set;

/**
 * What a backend supplies to run the contract suite: a way to connect, and what it can do.
 *
 * <pre>{@code
 * class InMemoryContractTest extends BackendContractTest {
 *     @Override
 *     protected BackendFixture fixture() {
 *         return () -> Streamable.open("memory:contract");
 *     }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface BackendFixture {

    /**
     * A new connection to the backend under test; the test closes it. Every connection a fixture
     * opens must see the same stored data, so a test can close one and resume on another.
     */
    Streamable open();

    /** What the backend declares it can do; tests that need something else adapt or say why they skip. */
    default Set<Capability> capabilities() {
        return Set.of();
    }

    /** How long the backend may take until compaction becomes visible to a reader from the beginning. */
    default Duration compactionTimeout() {
        return Duration.ofSeconds(10);
    }
}
