package io.streamable.json;

import io.streamable.PayloadType;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonCodecFactoryTest {
    record Order(String id, long cents, Optional<String> note, Instant placedAt, LocalDate dueOn, List<String> items) {
    }

    record OrderWithoutNote(String id, long cents) {
    }

    private final JsonCodecFactory codecs = JsonCodecFactory.defaults();

    @Test
    @DisplayName("records with Optional and java.time fields survive a round trip, dates as ISO strings")
    void modernJava() {
        PayloadCodec<Order> codec = codecs.codecFor(PayloadType.of(Order.class));
        Order order = new Order("o-1", 1250, Optional.of("gift"), Instant.parse("2026-11-26T10:15:30.123Z"),
                LocalDate.of(2026, 12, 1), List.of("book", "pen"));
        byte[] json = codec.encode(order);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"2026-11-26T10:15:30.123Z\"", "\"2026-12-01\"");
        assertThat(codec.decode(json)).isEqualTo(order);
        Order empty = new Order("o-2", 1, Optional.empty(), order.placedAt(), order.dueOn(), List.of());
        assertThat(codec.decode(codec.encode(empty))).isEqualTo(empty);
    }

    @Test
    @DisplayName("generic payload types decode to their element types")
    void generics() {
        PayloadCodec<Map<String, List<Long>>> codec = codecs.codecFor(new PayloadType<>() { });
        Map<String, List<Long>> value = Map.of("a", List.of(1L, 2L));
        assertThat(codec.decode(codec.encode(value))).isEqualTo(value);
    }

    @Test
    @DisplayName("a removed property in stored data is ignored, so removing a property stays backward compatible")
    void unknownPropertiesIgnored() {
        PayloadCodec<OrderWithoutNote> codec = codecs.codecFor(PayloadType.of(OrderWithoutNote.class));
        OrderWithoutNote order = codec.decode("{\"id\":\"o-1\",\"cents\":5,\"note\":\"old\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(order).isEqualTo(new OrderWithoutNote("o-1", 5));
    }

    @Test
    @DisplayName("bytes that are not the type fail with a PayloadCodecException naming the type and the problem")
    void undecodable() {
        PayloadCodec<Order> codec = codecs.codecFor(PayloadType.of(Order.class));
        assertThatThrownBy(() -> codec.decode("{\"cents\":\"lots\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayloadCodecException.class)
                .hasMessageContaining(Order.class.getName())
                .hasMessageContaining("lots");
        assertThatThrownBy(() -> codec.decode("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PayloadCodecException.class);
    }
}
