package io.streamable.guice;

import io.streamable.client.Streamable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The lifecycle of everything {@link StreamableModule} opens: the {@link Streamable} and, through
 * it, every producer and consumer made from injected producers and builders, plus anything
 * registered with {@link #closeOnStop}. Call {@link #close()} when the application stops (or let
 * the module's shutdown hook do it). Bound as a singleton; closing is idempotent.
 */
public final class StreamableService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamableService.class);

    private final Streamable streamable;
    private final List<AutoCloseable> extra = new ArrayList<>();
    /** Closed after the Streamable, so consumers still running handlers can use them until they stop. */
    private final List<AutoCloseable> last = new ArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;

    StreamableService(Streamable streamable, boolean closeOnShutdown) {
        this.streamable = streamable;
        if (closeOnShutdown) {
            shutdownHook = new Thread(this::closeFromHook, "streamable-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } else {
            shutdownHook = null;
        }
    }

    /** {@return the connection the module bound} */
    public Streamable streamable() {
        return streamable;
    }

    /**
     * Closes {@code resource} when the service stops, newest first and before the
     * {@link Streamable}: for processors and other things an application runs on its topics.
     *
     * @param resource the resource to close
     * @param <C>      its type
     * @return {@code resource}, for chaining
     */
    public synchronized <C extends AutoCloseable> C closeOnStop(C resource) {
        ensureOpen();
        extra.add(resource);
        return resource;
    }

    /** Closes {@code resource} after the Streamable: what handlers use, such as the shared state. */
    synchronized <C extends AutoCloseable> C closeAfterStreamable(C resource) {
        ensureOpen();
        last.add(resource);
        return resource;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The StreamableService is closed; nothing can be registered any more");
        }
    }

    /** {@return whether {@link #close()} has run} */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes what was registered with {@link #closeOnStop}, newest first, then the
     * {@link Streamable}, which closes its consumers (saving their positions) and producers, then
     * the shared state behind injected state stores. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (shutdownHook != null && Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the JVM is exiting; the hook will find us closed
            }
        }
        List<AutoCloseable> first;
        List<AutoCloseable> after;
        synchronized (this) {
            first = new ArrayList<>(extra);
            after = new ArrayList<>(last);
            extra.clear();
            last.clear();
        }
        closeNewestFirst(first);
        try {
            streamable.close();
            LOG.debug("Closed {}", streamable);
        } finally {
            closeNewestFirst(after);
        }
    }

    private static void closeNewestFirst(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("Closing {} failed", resources.get(i), e);
            }
        }
    }

    /** What the shutdown hook runs; package-private so tests can run it without exiting the JVM. */
    void closeFromHook() {
        LOG.info("JVM shutting down: closing {}", streamable);
        close();
    }

    Thread shutdownHook() {
        return shutdownHook;
    }

    @Override
    public String toString() {
        return "StreamableService[" + streamable + (closed.get() ? ", closed" : "") + "]";
    }
}
