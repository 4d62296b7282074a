package io.streamable.guice;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Inject;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("StreamableModule with a real injector on memory:")
class StreamableModuleTest {

    record Order(String id, long cents) {
    }

    /** An application class, as users write them. */
    static final class Billing {
        final Producer<Order> orders;
        final ConsumerBuilder<Order> consumer;
        final List<String> billed = new CopyOnWriteArrayList<>();

        @Inject
        Billing(@StreamTopic("orders") Producer<Order> orders, @StreamTopic("orders") ConsumerBuilder<Order> consumer) {
            this.orders = orders;
            this.consumer = consumer;
        }
    }

    static final class Batches {
        @Inject
        @StreamTopic("batches")
        Producer<List<String>> producer;

        @Inject
        @StreamTopic("batches")
        Topic<List<String>> topic;
    }

    private Injector injector;

    private Injector injector(StreamableModule module) {
        injector = Guice.createInjector(module);
        return injector;
    }

    @AfterEach
    void stop() {
        if (injector != null) {
            injector.getInstance(StreamableService.class).close();
        }
    }

    @Test
    @DisplayName("injects a typed producer and consumer builder for a named topic that work end to end")
    void roundTrip() throws InterruptedException {
        Billing billing = injector(StreamableModule.builder().url("memory:").topic("orders", Order.class).build())
                .getInstance(Billing.class);
        billing.orders.appendAndWait("shop-1", new Order("o-1", 100));
        billing.orders.appendAndWait("shop-1", new Order("o-2", 250));
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Order> consumer = billing.consumer.handler(m -> billing.billed.add(m.payload().id()))
                .onCaughtUp(caughtUp::countDown).start()) {
            assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(billing.billed).containsExactly("o-1", "o-2");
        assertThat(billing.orders.topic()).isEqualTo(Topic.of("orders", Order.class));
    }

    @Test
    @DisplayName("one shared producer per topic, a new consumer builder per injection, one Streamable")
    void scopes() {
        Injector injector = injector(StreamableModule.builder().url("memory:").topic("orders", Order.class).build());
        Billing first = injector.getInstance(Billing.class);
        Billing second = injector.getInstance(Billing.class);
        assertThat(first.orders).isSameAs(second.orders);
        assertThat(first.consumer).isNotSameAs(second.consumer);
        assertThat(injector.getInstance(Streamable.class)).isSameAs(injector.getInstance(Streamable.class))
                .isSameAs(injector.getInstance(StreamableService.class).streamable());
    }

    @Test
    @DisplayName("generic payload types bind too")
    void genericPayloads() {
        Batches batches = injector(StreamableModule.builder().url("memory:")
                .topic("batches", new PayloadType<List<String>>() { }).build()).getInstance(Batches.class);
        assertThat(batches.topic.name()).isEqualTo("batches");
        assertThat(batches.producer.appendAndWait("k", List.of("a", "b"))).isNotNull();
        Key<Producer<List<String>>> key = Key.get(new TypeLiteral<Producer<List<String>>>() { },
                new StreamTopicImpl("batches"));
        assertThat(injector.getInstance(key)).isSameAs(batches.producer);
    }

    @Test
    @DisplayName("closing the service stops consumers, closes producers and the connection, once")
    void lifecycle() {
        Injector injector = injector(StreamableModule.builder().url("memory:").topic("orders", Order.class).build());
        Billing billing = injector.getInstance(Billing.class);
        Consumer<Order> consumer = billing.consumer.handler(m -> { }).start();
        AutoCloseableProbe extra = injector.getInstance(StreamableService.class).closeOnStop(new AutoCloseableProbe());
        StreamableService service = injector.getInstance(StreamableService.class);

        service.close();
        service.close();

        assertThat(service.isClosed()).isTrue();
        assertThat(consumer.isRunning()).isFalse();
        assertThat(consumer.stopped()).isCompleted();
        assertThat(extra.closed).isEqualTo(1);
        assertThatThrownBy(() -> billing.orders.append("k", new Order("late", 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> service.streamable().topics()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("closeOnShutdown registers a hook that closes everything")
    void shutdownHook() {
        StreamableService service = injector(StreamableModule.builder().url("memory:").closeOnShutdown().build())
                .getInstance(StreamableService.class);
        Thread hook = service.shutdownHook();
        assertThat(hook).isNotNull();
        // what the JVM would run at exit
        service.closeFromHook();
        assertThat(service.isClosed()).isTrue();
        // close() removed the hook: removing it again reports it was not registered
        assertThat(Runtime.getRuntime().removeShutdownHook(hook)).isFalse();
    }

    @Test
    @DisplayName("reads the URL from configuration by default")
    void fromEnvironment() {
        String url = "memory:guice-" + UUID.randomUUID();
        System.setProperty("streamable.url", url);
        try {
            Streamable streamable = injector(StreamableModule.fromEnvironment()).getInstance(Streamable.class);
            assertThat(streamable.toString()).contains(url);
        } finally {
            System.clearProperty("streamable.url");
        }
    }

    @Test
    @DisplayName("bad configuration fails when the injector is created, with the configuration's message")
    void failsAtStartup() {
        assertThatThrownBy(() -> Guice.createInjector(StreamableModule.builder().url("kafka://localhost:9092").build()))
                .isInstanceOf(CreationException.class)
                .hasMessageContaining("io.streamable:backend-kafka");
    }

    @Test
    @DisplayName("a topic that was not declared is a Guice error naming the topic")
    void undeclaredTopic() {
        Injector injector = injector(StreamableModule.builder().url("memory:").build());
        assertThatThrownBy(() -> injector.getInstance(Billing.class))
                .hasMessageContaining("No implementation for Producer<StreamableModuleTest$Order> annotated with @StreamTopic(\"orders\")");
    }

    @Test
    @DisplayName("declaring a topic twice is refused")
    void declaredTwice() {
        assertThatThrownBy(() -> StreamableModule.builder().topic("orders", Order.class).topic("orders", String.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("declared twice");
    }

    /** Folds orders into per-shop totals held in a state store, as a stateless processor would. */
    static final class Totals {
        final StateStore<Long> totals;
        final ConsumerBuilder<Order> consumer;

        @Inject
        Totals(@StreamState("totals") StateStore<Long> totals, @StreamTopic("orders") ConsumerBuilder<Order> consumer) {
            this.totals = totals;
            this.consumer = consumer;
        }
    }

    @Test
    @DisplayName("injects state stores by name, one shared state behind them, folded apply-once from a consumer")
    void stateStores() throws InterruptedException {
        Injector injector = injector(StreamableModule.builder().url("memory:").topic("orders", Order.class)
                .stateStore("totals", Long.class)
                .stateStore("names", new PayloadType<List<String>>() { })
                .sharedState(state -> state.url("memory:"))
                .build());
        Totals app = injector.getInstance(Totals.class);
        assertThat(injector.getInstance(Totals.class).totals).isSameAs(app.totals);
        Producer<Order> orders = injector.getInstance(Billing.class).orders;
        orders.appendAndWait("shop-1", new Order("o-1", 100));
        orders.appendAndWait("shop-1", new Order("o-2", 250));
        CountDownLatch caughtUp = new CountDownLatch(1);
        app.consumer.name("totals")
                .handler(m -> app.totals.update(m.shardingKey(), m, total -> total.orElse(0L) + m.payload().cents()))
                .onCaughtUp(caughtUp::countDown)
                .start();
        assertThat(caughtUp.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(app.totals.get("shop-1")).contains(350L);

        Key<StateStore<List<String>>> names = Key.get(new TypeLiteral<StateStore<List<String>>>() { },
                new StreamStateImpl("names"));
        StateStore<List<String>> store = injector.getInstance(names);
        store.update("k", previous -> List.of("a", "b"));
        assertThat(store.get("k")).contains(List.of("a", "b"));

        injector.getInstance(StreamableService.class).close();
        assertThatThrownBy(() -> app.totals.get("shop-1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("the shared state is configured from the environment by default")
    void stateFromEnvironment() {
        String url = "memory:guice-state-" + UUID.randomUUID();
        System.setProperty("streamable.state.url", url);
        try {
            Injector injector = injector(StreamableModule.builder().url("memory:").stateStore("s", String.class).build());
            assertThat(injector.getInstance(SharedState.class).toString()).contains(url);
        } finally {
            System.clearProperty("streamable.state.url");
        }
    }

    static final class AutoCloseableProbe implements AutoCloseable {
        int closed;

        @Override
        public void close() {
            closed++;
        }
    }
}
