package io.streamable.guice;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.Provider;
import com.google.inject.Singleton;
import com.google.inject.util.Types;
import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.client.StreamableBuilder;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.SharedStateBuilder;
import io.streamable.state.StateStore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Binds Streamable Topic into a Guice injector: the {@link Streamable} opened from configuration
 * (eagerly, so bad configuration fails when the injector is created), a {@link StreamableService}
 * that closes everything on stop, and, for each declared topic, {@code @StreamTopic("name")}
 * bindings of {@code Topic<T>}, {@code Producer<T>} (one shared producer) and
 * {@code ConsumerBuilder<T>} (a new builder per injection); and, for each declared state store,
 * {@code @StreamState("name") StateStore<V>} on a {@link SharedState} opened from its own
 * configuration ({@code STREAMABLE_STATE_URL}, default {@code memory:}) and closed with the rest.
 *
 * <pre>{@code
 * Injector injector = Guice.createInjector(StreamableModule.builder()
 *         .fromEnvironment()                    // STREAMABLE_URL, -Dstreamable.url, streamable.properties, memory:
 *         .topic("orders", Order.class)
 *         .stateStore("balances", Long.class)  // STREAMABLE_STATE_URL, -Dstreamable.state.url, memory:
 *         .closeOnShutdown()
 *         .build());
 *
 * class Billing {
 *     @Inject Billing(@StreamTopic("orders") Producer<Order> orders,
 *                     @StreamTopic("orders") ConsumerBuilder<Order> consumer) { ... }
 * }
 *
 * injector.getInstance(StreamableService.class).close();   // when the application stops
 * }</pre>
 */
public final class StreamableModule extends AbstractModule {
    private final Consumer<StreamableBuilder> configuration;
    private final List<Topic<?>> topics;
    private final Consumer<SharedStateBuilder> stateConfiguration;
    private final List<StoreDeclaration<?>> stores;
    private final boolean closeOnShutdown;

    private StreamableModule(Builder builder) {
        this.configuration = builder.configuration;
        this.topics = List.copyOf(builder.topics);
        this.stateConfiguration = builder.stateConfiguration;
        this.stores = List.copyOf(builder.stores);
        this.closeOnShutdown = builder.closeOnShutdown;
    }

    /** A declared state store: its name and value type. */
    private record StoreDeclaration<V>(String name, PayloadType<V> valueType) {
    }

    /** {@return a builder for the module, configured from the environment until told otherwise} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A module configured from the environment, like {@code Streamable.open()}, with no topics declared.
     *
     * @return the module
     */
    public static StreamableModule fromEnvironment() {
        return builder().fromEnvironment().build();
    }

    @Override
    protected void configure() {
        bind(StreamableService.class).toProvider(() -> {
            StreamableBuilder builder = Streamable.builder();
            configuration.accept(builder);
            return new StreamableService(builder.build(), closeOnShutdown);
        }).asEagerSingleton();
        Provider<StreamableService> service = getProvider(StreamableService.class);
        bind(Streamable.class).toProvider(() -> service.get().streamable()).in(Singleton.class);
        Provider<Streamable> streamable = getProvider(Streamable.class);
        for (Topic<?> topic : topics) {
            bindTopic(topic, streamable);
        }
        if (!stores.isEmpty()) {
            // opened with the first store injected, closed by the service before the Streamable
            bind(SharedState.class).toProvider(() -> {
                SharedStateBuilder builder = SharedState.builder();
                stateConfiguration.accept(builder);
                return service.get().closeAfterStreamable(builder.build());
            }).in(Singleton.class);
            Provider<SharedState> state = getProvider(SharedState.class);
            for (StoreDeclaration<?> store : stores) {
                bindStore(store, state);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private <V> void bindStore(StoreDeclaration<V> store, Provider<SharedState> state) {
        Key<StateStore<V>> key = (Key<StateStore<V>>) Key.get(
                Types.newParameterizedType(StateStore.class, store.valueType().type()), new StreamStateImpl(store.name()));
        bind(key).toProvider(() -> state.get().store(store.name(), store.valueType())).in(Singleton.class);
    }

    @SuppressWarnings("unchecked")
    private <T> void bindTopic(Topic<T> topic, Provider<Streamable> streamable) {
        StreamTopic name = new StreamTopicImpl(topic.name());
        java.lang.reflect.Type payload = topic.payloadType().type();
        Key<Topic<T>> topicKey = (Key<Topic<T>>) Key.get(Types.newParameterizedType(Topic.class, payload), name);
        Key<Producer<T>> producerKey = (Key<Producer<T>>) Key.get(Types.newParameterizedType(Producer.class, payload), name);
        Key<ConsumerBuilder<T>> consumerKey = (Key<ConsumerBuilder<T>>) Key.get(
                Types.newParameterizedType(ConsumerBuilder.class, payload), name);
        bind(topicKey).toInstance(topic);
        // one thread-safe producer per topic; the Streamable closes it
        bind(producerKey).toProvider(() -> streamable.get().producer(topic)).in(Singleton.class);
        // a builder is mutable: a fresh one per injection point
        bind(consumerKey).toProvider(() -> streamable.get().consumer(topic));
    }

    /** Options for {@link StreamableModule}. */
    public static final class Builder {
        private Consumer<StreamableBuilder> configuration = StreamableBuilder::fromEnvironment;
        private final List<Topic<?>> topics = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private Consumer<SharedStateBuilder> stateConfiguration = SharedStateBuilder::fromEnvironment;
        private final List<StoreDeclaration<?>> stores = new ArrayList<>();
        private final Set<String> storeNames = new HashSet<>();
        private boolean closeOnShutdown;

        private Builder() {
        }

        /**
         * Configure from the environment, like {@code Streamable.open()}; the default.
         *
         * @return this builder
         */
        public Builder fromEnvironment() {
            configuration = StreamableBuilder::fromEnvironment;
            return this;
        }

        /**
         * Open this URL instead of reading the environment.
         *
         * @param url the backend URL
         * @return this builder
         */
        public Builder url(String url) {
            Objects.requireNonNull(url, "The backend URL is null: pass one such as \"memory:\" or"
                    + " \"kafka://localhost:9092\", or use fromEnvironment() to read STREAMABLE_URL");
            configuration = builder -> builder.url(url);
            return this;
        }

        /**
         * Full control over the {@link StreamableBuilder}: URL, options, codecs. Replaces
         * {@link #url} and {@link #fromEnvironment()}.
         *
         * @param configuration applied to a fresh {@link StreamableBuilder} when the module opens the connection
         * @return this builder
         */
        public Builder configure(Consumer<StreamableBuilder> configuration) {
            this.configuration = Objects.requireNonNull(configuration, "configuration");
            return this;
        }

        /**
         * Declares a topic, binding {@code @StreamTopic(name)} Topic, Producer and ConsumerBuilder of it.
         *
         * @param name         the topic name, also the binding's {@code @StreamTopic} value
         * @param payloadClass the payload class
         * @param <T>          the payload type
         * @return this builder
         */
        public <T> Builder topic(String name, Class<T> payloadClass) {
            return topic(Topic.of(name, payloadClass));
        }

        /**
         * Declares a topic with a generic payload type, e.g. {@code new PayloadType<List<Order>>() {}}.
         *
         * @param name        the topic name, also the binding's {@code @StreamTopic} value
         * @param payloadType the payload type
         * @param <T>         the payload type
         * @return this builder
         */
        public <T> Builder topic(String name, PayloadType<T> payloadType) {
            return topic(Topic.of(name, payloadType));
        }

        /**
         * Declares a topic.
         *
         * @param topic the topic; its name is the binding's {@code @StreamTopic} value
         * @return this builder
         */
        public Builder topic(Topic<?> topic) {
            Objects.requireNonNull(topic, "topic");
            if (!names.add(topic.name())) {
                throw new IllegalArgumentException("Topic \"" + topic.name() + "\" is declared twice; declare each topic"
                        + " once with the payload type its producers and consumers use");
            }
            topics.add(topic);
            return this;
        }

        /**
         * Declares a state store, binding {@code @StreamState(name) StateStore<V>}. The
         * {@link SharedState} behind the stores is configured from the environment
         * ({@code STREAMABLE_STATE_URL}, {@code -Dstreamable.state.url}, default {@code memory:})
         * unless {@link #sharedState} says otherwise.
         *
         * @param name      the store name, also the binding's {@code @StreamState} value
         * @param valueType the value type
         * @param <V>       the value type
         * @return this builder
         */
        public <V> Builder stateStore(String name, Class<V> valueType) {
            return stateStore(name, PayloadType.of(valueType));
        }

        /**
         * Declares a state store with a generic value type.
         *
         * @param name      the store name, also the binding's {@code @StreamState} value
         * @param valueType the value type
         * @param <V>       the value type
         * @return this builder
         */
        public <V> Builder stateStore(String name, PayloadType<V> valueType) {
            io.streamable.TopicName.requireValid(name);
            Objects.requireNonNull(valueType, "valueType");
            if (!storeNames.add(name)) {
                throw new IllegalArgumentException("State store \"" + name + "\" is declared twice; declare each"
                        + " store once with the value type its users share");
            }
            stores.add(new StoreDeclaration<>(name, valueType));
            return this;
        }

        /**
         * How to open the {@link SharedState} behind the declared stores, e.g. {@code b -> b.url("mongodb://...")}.
         *
         * @param configuration applied to the {@link SharedStateBuilder} before it opens
         * @return this builder
         */
        public Builder sharedState(Consumer<SharedStateBuilder> configuration) {
            this.stateConfiguration = Objects.requireNonNull(configuration, "configuration");
            return this;
        }

        /**
         * Also close everything from a JVM shutdown hook, for applications without their own stop hook.
         *
         * @return this builder
         */
        public Builder closeOnShutdown() {
            this.closeOnShutdown = true;
            return this;
        }

        /** {@return the module, with the options given so far} */
        public StreamableModule build() {
            return new StreamableModule(this);
        }
    }
}
