package io.streamable.junit;

import io.streamable.client.Streamable;

/**
 * The in-memory store of one test, injected by {@link StreamableTest}. Connections opened here
 * are closed after the test, like the injected {@link Streamable}.
 */
public interface TestBackend {

    /** {@return the URL of this test's store, {@code memory:NAME}; unique to the test} */
    String url();

    /** {@return the connection injected as the test's {@link Streamable} parameter} */
    Streamable streamable();

    /** {@return a new connection to the same store, as if another process of the application connected} */
    Streamable open();
}
