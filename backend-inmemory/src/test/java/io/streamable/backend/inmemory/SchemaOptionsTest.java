package io.streamable.backend.inmemory;

import io.streamable.Message;
import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.codec.PayloadCodec;
import io.streamable.consume.Consumer;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.SchemaCapableCodecFactory;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.Upcaster;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The builder options that switch schema support and add upcasters. */
class SchemaOptionsTest {

    record Order(String id, long cents) {
    }

    record OrderV2(String id, long cents, String currency) {
    }

    @Test
    @DisplayName("schemaRegistry(false) writes no version header, registers nothing, and schemas() says why it is off")
    void switchedOff() {
        Topic<Order> topic = Topic.of("options-off", Order.class);
        try (Streamable streamable = Streamable.builder().url("memory:").schemaRegistry(false).build()) {
            streamable.producer(topic).appendAndWait("k", new Order("o-1", 1));
            assertThat(streamable.backend().topic(SchemaRegistry.schemaTopic(topic.name())).lag(java.util.Optional.empty()))
                    .isZero();
            assertThatThrownBy(streamable::schemas).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Schema support is off").hasMessageContaining("schemaRegistry(true)");
            assertThat(readOne(streamable, topic).header(SchemaRegistry.VERSION_HEADER)).isEmpty();
        }
    }

    @Test
    @DisplayName("a codec factory without schema support leaves it off; upcasters then fail the build with the reason")
    void otherCodec() {
        io.streamable.codec.PayloadCodecFactory text = new io.streamable.codec.PayloadCodecFactory() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> PayloadCodec<T> codecFor(PayloadType<T> type) {
                return (PayloadCodec<T>) new PayloadCodec<String>() {
                    @Override
                    public byte[] encode(String payload) {
                        return payload.getBytes(StandardCharsets.UTF_8);
                    }

                    @Override
                    public String decode(byte[] bytes) {
                        return new String(bytes, StandardCharsets.UTF_8);
                    }
                };
            }
        };
        try (Streamable streamable = Streamable.builder().url("memory:").codecs(text).build()) {
            Topic<String> topic = Topic.of("options-text", String.class);
            streamable.producer(topic).appendAndWait("k", "plain text");
            assertThat(readOne(streamable, topic).payload()).isEqualTo("plain text");
            assertThatThrownBy(streamable::schemas).isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> Streamable.builder().url("memory:").codecs(text)
                .upcaster(Order.class, OrderV2.class, o -> new OrderV2(o.id(), o.cents(), "EUR")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Upcasters need the schema registry")
                .hasMessageContaining("does not implement " + SchemaCapableCodecFactory.class.getName());
        assertThatThrownBy(() -> Streamable.builder().url("memory:").schemaRegistry(false)
                .upcaster(Order.class, OrderV2.class, o -> new OrderV2(o.id(), o.cents(), "EUR")).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("switched off");
    }

    @Test
    @DisplayName("a codec factory of one's own that implements SchemaCapableCodecFactory keeps schema support")
    void ownSchemaCapableFactory() {
        JsonCodecFactory json = JsonCodecFactory.defaults();
        List<PayloadType<?>> asked = new CopyOnWriteArrayList<>();
        SchemaCapableCodecFactory wrapping = new SchemaCapableCodecFactory() {
            @Override
            public com.fasterxml.jackson.databind.ObjectMapper objectMapper() {
                return json.objectMapper();
            }

            @Override
            public <T> PayloadCodec<T> codecFor(PayloadType<T> type) {
                asked.add(type);
                return json.codecFor(type);
            }
        };
        Topic<Order> topic = Topic.of("options-own", Order.class);
        try (Streamable streamable = Streamable.builder().url("memory:").codecs(wrapping)
                .upcaster(Order.class, OrderV2.class, o -> new OrderV2(o.id(), o.cents(), "EUR")).build()) {
            streamable.producer(topic).appendAndWait("k", new Order("o-1", 1));
            assertThat(streamable.schemas().versions(topic.name())).hasSize(1);
            assertThat(readOne(streamable, topic).header(SchemaRegistry.VERSION_HEADER)).contains("1");
            assertThat(asked).contains(topic.payloadType());
        }
    }

    @Test
    @DisplayName("two upcasters from one type are rejected: each old version needs a single path")
    void duplicateUpcasters() {
        assertThatThrownBy(() -> Streamable.builder().url("memory:")
                .upcaster(Order.class, OrderV2.class, o -> new OrderV2(o.id(), o.cents(), "EUR"))
                .upcaster(Upcaster.of(Order.class, OrderV2.class, o -> new OrderV2(o.id(), o.cents(), "USD")))
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Two upcasters from " + Order.class.getName());
        assertThatThrownBy(() -> Upcaster.of(Order.class, Order.class, o -> o))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must change the type");
    }

    @Test
    @DisplayName("the schema registry follows a custom mapper: its naming strategy shapes the schema")
    void customMapper() {
        var mapper = JsonCodecFactory.newObjectMapper()
                .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);
        record Named(String orderId) {
        }
        try (Streamable streamable = Streamable.builder().url("memory:").codecs(JsonCodecFactory.using(mapper)).build()) {
            var schema = (io.streamable.schema.Schema.ObjectSchema) streamable.schemas()
                    .schemaOf(PayloadType.of(Named.class));
            assertThat(schema.properties()).containsOnlyKeys("order_id");
        }
    }

    private static <T> Message<T> readOne(Streamable streamable, Topic<T> topic) {
        List<Message<T>> received = new CopyOnWriteArrayList<>();
        try (Consumer<T> consumer = streamable.consumer(topic).handler(received::add).start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> !received.isEmpty() || !consumer.isRunning());
        }
        assertThat(received).hasSize(1);
        return received.get(0);
    }
}
