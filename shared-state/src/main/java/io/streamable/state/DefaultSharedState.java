package io.streamable.state;

import io.streamable.PayloadType;
import io.streamable.TopicName;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.state.spi.StateBackend;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** The engine behind {@link SharedState}: owns the backend connection. */
final class DefaultSharedState implements SharedState {
    private final StateBackend backend;
    private final PayloadCodecFactory codecs;
    private final int maxAttempts;
    private final String maskedUrl;
    private final AtomicBoolean closed = new AtomicBoolean();

    DefaultSharedState(StateBackend backend, PayloadCodecFactory codecs, int maxAttempts, String maskedUrl) {
        this.backend = backend;
        this.codecs = codecs;
        this.maxAttempts = maxAttempts;
        this.maskedUrl = maskedUrl;
    }

    @Override
    public <V> StateStore<V> store(String name, PayloadType<V> valueType) {
        Objects.requireNonNull(valueType, "valueType");
        if (!TopicName.isValid(name)) {
            throw new IllegalArgumentException("Invalid state store name " + (name == null ? "null" : '"' + name + '"')
                    + ": store names follow the topic name rules (1-" + TopicName.MAX_LENGTH
                    + " characters of A-Z a-z 0-9 . _ -, starting with a letter or digit), for example \"balances\"");
        }
        ensureOpen();
        return new DefaultStateStore<>(backend.table(name), valueType, codecs.codecFor(valueType), maxAttempts,
                this::ensureOpen);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("This SharedState (" + maskedUrl + ") is closed; open a new one");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            backend.close();
        }
    }

    @Override
    public String toString() {
        return "SharedState[" + maskedUrl + "]";
    }
}
