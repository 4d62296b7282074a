package io.streamable.client;

import io.streamable.Topic;
import io.streamable.backend.Backend;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** The engine behind {@link Streamable}: owns the backend and everything made from it. */
final class DefaultStreamable implements Streamable {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStreamable.class);

    private final Backend backend;
    private final PayloadCodecFactory codecs;
    private final String maskedUrl;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    DefaultStreamable(Backend backend, PayloadCodecFactory codecs, String maskedUrl) {
        this.backend = backend;
        this.codecs = codecs;
        this.maskedUrl = maskedUrl;
    }

    @Override
    public <T> Producer<T> producer(Topic<T> topic) {
        ensureOpen();
        return track(new TypedProducer<>(topic, backend.topic(topic.name()), codecs.codecFor(topic.payloadType()),
                this::untrack));
    }

    @Override
    public <T> ConsumerBuilder<T> consumer(Topic<T> topic) {
        ensureOpen();
        return new DefaultConsumerBuilder<>(topic, this);
    }

    @Override
    public Set<String> topics() {
        ensureOpen();
        return backend.listTopics();
    }

    @Override
    public Backend backend() {
        return backend;
    }

    PayloadCodecFactory codecs() {
        return codecs;
    }

    <C extends AutoCloseable> C track(C resource) {
        ensureOpen();
        open.add(resource);
        return resource;
    }

    void untrack(AutoCloseable resource) {
        open.remove(resource);
    }

    void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("This Streamable (" + maskedUrl + ") is closed; open a new one");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // in parallel, so consumers with blocked handlers wait out their close timeouts together;
        // all before the backend, so consumers can still save their positions
        List<AutoCloseable> resources = new ArrayList<>(open);
        resources.parallelStream().forEach(resource -> {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Closing {} failed", resource, e);
            }
        });
        backend.close();
    }

    @Override
    public String toString() {
        return "Streamable[" + maskedUrl + "]";
    }
}
