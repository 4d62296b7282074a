package io.streamable.benchmarks;

import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.inmemory.InMemoryEndToEnd;

import java.util.List;
import java.util.function.Supplier;

/** Every scenario, in the order a full run executes them. Add a backend's scenarios here as it lands. */
final class Catalog {
    private Catalog() {
    }

    static List<Supplier<Scenario>> all() {
        return List.of(
                InMemoryEndToEnd::new);
    }
}
