package io.streamable.backend.mongoredis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The future of an append, and of every stage derived from it ({@code thenApply} and the like):
 * a thread that waits for it with {@link #get()} or {@link #join()} while the append is still
 * queued runs the topic's writer itself instead of waiting for a writer thread. A producer calling
 * {@code appendAndWait} would block anyway, so its insert goes out from its own thread and the
 * acknowledgement wakes nobody: two thread hand-offs less per append (issue 16: with a
 * round trip of about 100 µs to a local server, the hand-offs cost as much as the insert).
 *
 * <p>{@code append()} itself still never blocks (it queues and schedules a writer thread, which
 * finds nothing to do when the waiting thread was first); timed {@code get} does not help, as its
 * caller set a bound the insert's round trip could exceed; an interrupted thread does not help.
 */
final class AppendFuture<T> extends CompletableFuture<T> {
    private final MongoTopicStore store;

    AppendFuture(MongoTopicStore store) {
        this.store = store;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new AppendFuture<>(store);
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
        help();
        return super.get();
    }

    @Override
    public T join() {
        help();
        return super.join();
    }

    private void help() {
        if (!isDone() && !Thread.currentThread().isInterrupted()) {
            store.drainUntil(this);
        }
    }
}
