package io.streamable.tck.state;

import io.streamable.Topic;
import io.streamable.backend.Backend;
import io.streamable.client.Streamable;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;
import io.streamable.schema.SchemaRegistry;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A test hook that needs nothing in production classes: a {@link Streamable} that passes
 * everything to another one, except that its producers run a {@link BeforeAppend} hook before each
 * append. A state processor built on it appends its outputs only after the state write, so the
 * hook runs exactly between the two: a test crashes there (throws, or halts its JVM) to prove that
 * no output is lost.
 *
 * <pre>{@code
 * Streamable crashing = new InterceptingStreamable(streamable, messages -> Runtime.getRuntime().halt(137));
 * StateProcessor.builder(crashing, store, output)...start();
 * }</pre>
 */
public final class InterceptingStreamable implements Streamable {
    private final Streamable delegate;
    private final BeforeAppend hook;

    /** Runs before a producer of an {@link InterceptingStreamable} appends. */
    @FunctionalInterface
    public interface BeforeAppend {
        /**
         * Called with the messages about to be appended; throwing fails the append with that
         * exception (nothing is appended).
         *
         * @param topic    the topic appended to
         * @param messages the messages, in append order
         * @throws Exception to fail the append with it
         */
        void beforeAppend(Topic<?> topic, List<? extends OutgoingMessage<?>> messages) throws Exception;
    }

    /**
     * Wraps {@code delegate}; closing this closes it.
     *
     * @param delegate the connection that does the work
     * @param hook     called before every append of every producer
     */
    public InterceptingStreamable(Streamable delegate, BeforeAppend hook) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    @Override
    public <T> Producer<T> producer(Topic<T> topic) {
        Producer<T> producer = delegate.producer(topic);
        return new Producer<>() {
            @Override
            public Topic<T> topic() {
                return producer.topic();
            }

            @Override
            public CompletableFuture<io.streamable.Position> append(OutgoingMessage<T> message) {
                return intercept(List.of(message)).thenCompose(ok -> producer.append(message));
            }

            @Override
            public CompletableFuture<List<io.streamable.Position>> appendAll(List<OutgoingMessage<T>> messages) {
                return intercept(messages).thenCompose(ok -> producer.appendAll(messages));
            }

            private CompletableFuture<Void> intercept(List<OutgoingMessage<T>> messages) {
                try {
                    hook.beforeAppend(topic, messages);
                    return CompletableFuture.completedFuture(null);
                } catch (Exception e) {
                    return CompletableFuture.failedFuture(e);
                }
            }

            @Override
            public void close() {
                producer.close();
            }
        };
    }

    @Override
    public <T> ConsumerBuilder<T> consumer(Topic<T> topic) {
        return delegate.consumer(topic);
    }

    @Override
    public SchemaRegistry schemas() {
        return delegate.schemas();
    }

    @Override
    public Set<String> topics() {
        return delegate.topics();
    }

    @Override
    public Backend backend() {
        return delegate.backend();
    }

    @Override
    public String toString() {
        return "Intercepting" + delegate;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
