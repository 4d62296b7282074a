package io.streamable.state.spi;

/**
 * An open connection to a state backend: the SPI a state store module implements. Thread-safe;
 * {@link #close()} is idempotent.
 */
public interface StateBackend extends AutoCloseable {

    /**
     * The table of a store, created on first use. The name follows the topic name rules
     * ({@link io.streamable.TopicName}). Cheap to call repeatedly.
     *
     * @param storeName the store's name
     * @return its table, never {@code null}
     */
    StateTable table(String storeName);

    /** {@return the URL this backend was opened with, passwords masked, for logs and errors} */
    String describe();

    @Override
    void close();
}
