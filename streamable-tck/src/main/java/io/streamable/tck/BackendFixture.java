package io.streamable.tck;

import io.streamable.backend.TopicReader;
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
     *
     * @return the connection, which the test closes
     */
    Streamable open();

    /**
     * What the backend declares it can do; tests that need something else adapt or say why they skip.
     *
     * @return the declared capabilities; none by default
     */
    default Set<Capability> capabilities() {
        return Set.of();
    }

    /**
     * Makes a named reader act as if its process were paused (a long GC, SIGSTOP) past its lease:
     * it stops renewing its ownership without being closed, so another reader can take the name
     * over once the lease has expired. The fencing tests use it to check that the paused reader's
     * later reads and commits are refused. Fixtures should open connections with a lease of a few
     * seconds so the take-over comes quickly.
     *
     * @param reader a named reader this fixture's backend opened
     */
    default void suspendOwnership(TopicReader reader) {
        throw new UnsupportedOperationException("This fixture does not implement suspendOwnership(TopicReader),"
                + " which the fencing tests need: make the reader stop renewing its lease (a test hook of the backend)");
    }

    /**
     * Makes every named reader (consumer group members included) that {@code connection} opened, and
     * opens from now on, act as if the connection's process were paused past its lease: they stop
     * renewing their leases without being closed, so the other members of their groups take their
     * slots over once the leases expired. {@code ConsumerGroupContractTest} uses it to pause a
     * member while messages flow (the test also blocks that member's handlers, as a paused process
     * would not run them).
     *
     * @param connection a connection this fixture opened
     */
    default void suspendOwnership(Streamable connection) {
        throw new UnsupportedOperationException("This fixture does not implement suspendOwnership(Streamable),"
                + " which the consumer group tests need: make every reader of the connection stop renewing its lease"
                + " (a test hook of the backend)");
    }

    /**
     * The age limit {@link RetentionContractTest} sets: short, since the tests wait it out, yet long
     * enough that messages appended just before are still there when a consumer reads them, where
     * the server also removes expired messages on its own (Kafka's log cleaner).
     *
     * @return the age limit for the retention tests; 1 s by default
     */
    default Duration retentionAge() {
        return Duration.ofSeconds(1);
    }

    /**
     * How long the backend may take until compaction becomes visible to a reader from the beginning.
     *
     * @return the longest wait until compaction shows
     */
    default Duration compactionTimeout() {
        return Duration.ofSeconds(10);
    }
}
