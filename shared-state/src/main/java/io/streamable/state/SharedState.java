package io.streamable.state;

import io.streamable.PayloadType;

/**
 * The way in to shared state: a connection to a state backend, chosen by URL like topic
 * backends, from which typed {@link StateStore}s are made.
 *
 * <pre>{@code
 * try (SharedState state = SharedState.open("mongodb://localhost:27017/bank")) {
 *     StateStore<Long> balances = state.store("balances", Long.class);
 *     balances.update("alice", message, balance -> balance.orElse(0L) + 25);   // apply-once
 * }
 * }</pre>
 *
 * <p>Thread-safe. Stores made from one {@code SharedState} and from several (in one process or
 * many) see the same data when they name the same store on the same backend.
 */
public interface SharedState extends AutoCloseable {

    /**
     * Opens the state backend configured by the {@value SharedStateBuilder#URL_ENVIRONMENT_VARIABLE}
     * environment variable, else the {@value SharedStateBuilder#URL_PROPERTY} system property,
     * else {@code memory:}.
     *
     * @return the open connection, which the caller closes
     */
    static SharedState open() {
        return builder().fromEnvironment().build();
    }

    /**
     * Opens the state backend a URL names: {@code memory:}, {@code memory:NAME} (shared within
     * the JVM), {@code mongodb://host:27017/database}.
     *
     * @param url the state backend URL
     * @return the open connection, which the caller closes
     * @throws StateBackendNotFoundException if no provider on the class path handles the scheme
     */
    static SharedState open(String url) {
        return builder().url(url).build();
    }

    /** {@return a builder for options beyond the URL} */
    static SharedStateBuilder builder() {
        return new SharedStateBuilder();
    }

    /**
     * A store of values of one class. The name follows the topic name rules (1-200 characters of
     * {@code A-Z a-z 0-9 . _ -}, starting with a letter or digit).
     *
     * @param name      the store's name
     * @param valueType the class of its values
     * @param <V>       the value type
     * @return the store
     */
    default <V> StateStore<V> store(String name, Class<V> valueType) {
        return store(name, PayloadType.of(valueType));
    }

    /**
     * A store of values of a generic type, for example {@code new PayloadType<List<Order>>() {}}.
     *
     * @param name      the store's name; see {@link #store(String, Class)}
     * @param valueType the type of its values
     * @param <V>       the value type
     * @return the store
     */
    <V> StateStore<V> store(String name, PayloadType<V> valueType);

    /** The backend URL, passwords masked. */
    @Override
    String toString();

    /** Closes the backend connection; stores made from it stop working. Idempotent. */
    @Override
    void close();
}
