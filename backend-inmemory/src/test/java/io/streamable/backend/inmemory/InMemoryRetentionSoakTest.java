package io.streamable.backend.inmemory;

import io.streamable.client.Streamable;
import io.streamable.tck.BackendFixture;
import io.streamable.tck.RetentionSoakTest;

/** Continuous appends under an age limit on the in-memory backend (which applies retention on every append). */
class InMemoryRetentionSoakTest extends RetentionSoakTest {

    @Override
    protected BackendFixture fixture() {
        return () -> Streamable.open("memory:soak");
    }
}
