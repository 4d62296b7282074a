package io.streamable.tck;

import io.streamable.client.Streamable;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * What one contract test opened, closed when it ends whatever happened: connections, consumers,
 * readers and thread pools. Both suites compose it, so each test starts from nothing and a
 * failing test cannot leak a live consumer (holding its name) into the next.
 */
final class TestResources {
    private final Supplier<BackendFixture> fixtureFactory;
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> pools = new CopyOnWriteArrayList<>();
    private volatile BackendFixture fixture;

    /** @param fixtureFactory the suite's {@code fixture()}, asked once per test */
    TestResources(Supplier<BackendFixture> fixtureFactory) {
        this.fixtureFactory = fixtureFactory;
    }

    /** The backend under test. */
    BackendFixture fixture() {
        BackendFixture current = fixture;
        if (current == null) {
            current = Objects.requireNonNull(fixtureFactory.get(), "fixture() returned null; return the backend's BackendFixture");
            fixture = current;
        }
        return current;
    }

    /** A new connection to the backend, closed after the test. */
    Streamable connect() {
        return track(Objects.requireNonNull(fixture().open(), "BackendFixture.open() returned null"));
    }

    /** Closes {@code resource} after the test, before the connections opened ahead of it. */
    <C extends AutoCloseable> C track(C resource) {
        opened.add(resource);
        return resource;
    }

    /** A fixed pool of threads, stopped after the test. */
    ExecutorService threads(int count) {
        ExecutorService pool = Executors.newFixedThreadPool(count);
        pools.add(pool);
        return pool;
    }

    /** Closes everything, newest first; rethrows the first failure once all are closed. */
    void closeAll() throws Exception {
        List<AutoCloseable> closing = new ArrayList<>(opened);
        Collections.reverse(closing);
        Exception failure = null;
        for (AutoCloseable resource : closing) {
            try {
                resource.close();
            } catch (Exception e) {
                failure = failure == null ? e : failure;
            }
        }
        pools.forEach(ExecutorService::shutdownNow);
        if (failure != null) {
            throw failure;
        }
    }
}
