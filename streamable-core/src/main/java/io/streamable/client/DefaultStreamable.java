package io.streamable.client;

import io.streamable.Topic;
import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.codec.PayloadCodecFactory;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;
import io.streamable.schema.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/** The engine behind {@link Streamable}: owns the backend and everything made from it. */
final class DefaultStreamable implements Streamable {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStreamable.class);

    private final Backend backend;
    private final PayloadCodecFactory codecs;
    /** Null when schema support is off. */
    private final DefaultSchemaRegistry schemas;
    private final String maskedUrl;
    private final Set<AutoCloseable> open = ConcurrentHashMap.newKeySet();
    /** One producer per topic and payload type: producers are thread-safe and cheap to share. */
    private final Map<Topic<?>, TypedProducer<?>> producers = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final Interceptors interceptors;

    /** Without schema support or interceptors: for the engine's unit tests. */
    DefaultStreamable(Backend backend, PayloadCodecFactory codecs, String maskedUrl) {
        this(backend, codecs, null, maskedUrl, new Interceptors(List.of(), List.of()));
    }

    DefaultStreamable(Backend backend, PayloadCodecFactory codecs, DefaultSchemaRegistry schemas, String maskedUrl,
                      Interceptors interceptors) {
        this.backend = backend;
        this.codecs = codecs;
        this.schemas = schemas;
        this.maskedUrl = maskedUrl;
        this.interceptors = interceptors;
    }

    Interceptors interceptors() {
        return interceptors;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> Producer<T> producer(Topic<T> topic) {
        ensureOpen();
        return new ProducerHandle<>((TypedProducer<T>) producers.computeIfAbsent(topic, this::newProducer));
    }

    private <T> TypedProducer<T> newProducer(Topic<T> topic) {
        // registers the payload type first: an incompatible type fails here, before anything is written
        PayloadEncoder<T> encoder = schemas != null ? schemas.encoder(topic)
                : PayloadEncoder.of(codecs.codecFor(topic.payloadType()));
        return track(new TypedProducer<>(topic, backend.topic(topic.name()), encoder, interceptors.producer(),
                this::untrack));
    }

    /** How a consumer of {@code topic} decodes: by schema version when schema support is on. */
    <T> PayloadDecoder<T> decoder(Topic<T> topic) {
        return schemas != null ? schemas.decoder(topic) : PayloadDecoder.of(codecs.codecFor(topic.payloadType()));
    }

    @Override
    public SchemaRegistry schemas() {
        ensureOpen();
        if (schemas == null) {
            throw new IllegalStateException("Schema support is off for " + this + ": it needs a codec factory that"
                    + " implements SchemaCapableCodecFactory (the default JsonCodecFactory does) and"
                    + " StreamableBuilder.schemaRegistry(true), the default");
        }
        return schemas;
    }

    @Override
    public <T> ConsumerBuilder<T> consumer(Topic<T> topic) {
        ensureOpen();
        return new DefaultConsumerBuilder<>(topic, this);
    }

    @Override
    public Set<String> topics() {
        ensureOpen();
        // framework-internal topics stay hidden even if a backend lists them
        return backend.listTopics().stream().filter(name -> !TopicName.isInternal(name))
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Also closes this instance's shared producers of the topic and forgets its cached schema
     * log: they would go on writing schema versions the deletion removed. A {@link Producer}
     * obtained before the deletion then fails as closed; ask {@link #producer} for a new one.
     */
    @Override
    public void deleteTopic(String topic) {
        ensureOpen();
        TopicName.requireValid(topic);
        // closed first, so none of them writes between the deletion and the cache's eviction
        producers.entrySet().removeIf(entry -> {
            if (!entry.getKey().name().equals(topic)) {
                return false;
            }
            entry.getValue().close();
            return true;
        });
        backend.deleteTopic(topic);
        if (schemas != null) {
            schemas.forgetTopic(topic);
        }
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
