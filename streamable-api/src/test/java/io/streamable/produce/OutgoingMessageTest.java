package io.streamable.produce;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import io.streamable.Message;
import io.streamable.Position;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutgoingMessageTest {

    @Test
    @DisplayName("a null or empty sharding key is refused with a hint")
    void shardingKeyRequired() {
        assertThatThrownBy(() -> OutgoingMessage.of(null, "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shardingKey is required");
        assertThatThrownBy(() -> OutgoingMessage.of("", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not be empty");
    }

    @Test
    @DisplayName("a whitespace-only sharding key is refused, on every path")
    void blankShardingKey() {
        for (String blank : new String[] {" ", "\t", " \n  "}) {
            assertThatThrownBy(() -> OutgoingMessage.of(blank, "x")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("must not be only whitespace").hasMessageContaining("customer id");
            assertThatThrownBy(() -> new OutgoingMessage<>(blank, Optional.empty(), Map.of(), "x"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whitespace");
        }
        assertThat(OutgoingMessage.of(" padded ", "x").shardingKey()).isEqualTo(" padded ");
    }

    @Test
    @DisplayName("a reserved header is refused through the constructor, withHeader and withHeaders, saying what to do")
    void reservedHeadersOnEveryPath() {
        Map<String, String> reserved = Map.of("streamable.schema.version", "3", "source", "a");
        assertThatThrownBy(() -> new OutgoingMessage<>("k", Optional.empty(), reserved, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streamable.schema.version").hasMessageContaining("reserved prefix")
                .hasMessageContaining("withHeaders(message.userHeaders())");
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withHeaders(reserved))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userHeaders()");
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withHeader("streamable.dlq.topic", "t"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved prefix");
        // names that only look similar are the user's
        assertThat(OutgoingMessage.of("k", "x").withHeader("streamable", "v").withHeader("my.streamable.x", "w")
                .headers()).containsOnlyKeys("streamable", "my.streamable.x");
    }

    @Test
    @DisplayName("a consumed or dead-lettered message republishes with its user headers only")
    void republishWithUserHeaders() {
        Message<String> deadLettered = new Message<>("orders.dlq", Position.of(7), Instant.EPOCH, "k", Optional.empty(),
                Map.of("streamable.schema.version", "2", "streamable.dlq.topic", "orders",
                        "streamable.dlq.error", "boom", "trace", "t-1", "source", "checkout"), "x");
        assertThat(deadLettered.userHeaders()).containsOnly(Map.entry("trace", "t-1"), Map.entry("source", "checkout"));
        OutgoingMessage<String> again = OutgoingMessage.of(deadLettered.shardingKey(), deadLettered.payload())
                .withHeader("retry", "1").withHeaders(deadLettered.userHeaders());
        assertThat(again.headers()).containsOnly(Map.entry("trace", "t-1"), Map.entry("source", "checkout"),
                Map.entry("retry", "1"));
        assertThat(OutgoingMessage.userHeaders(deadLettered.headers())).isEqualTo(deadLettered.userHeaders());
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withHeaders(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Map.of()");
    }

    @Test
    @DisplayName("a null compaction id or header map says what to pass instead")
    void nullArguments() {
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withLogCompactId(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logCompactId must not be null").hasMessageContaining("leave withLogCompactId out");
        assertThatThrownBy(() -> new OutgoingMessage<>("k", Optional.empty(), null, "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Map.of()");
    }

    @Test
    @DisplayName("payloads must not be null, compaction ids not empty, headers not reserved")
    void validation() {
        assertThatThrownBy(() -> OutgoingMessage.of("k", null)).hasMessageContaining("payload must not be null");
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withLogCompactId("")).hasMessageContaining("logCompactId");
        assertThatThrownBy(() -> OutgoingMessage.of("k", "x").withHeader("streamable.mine", "v"))
                .hasMessageContaining("reserved prefix");
    }

    @Test
    @DisplayName("withers return new messages and leave the original unchanged")
    void immutable() {
        OutgoingMessage<String> plain = OutgoingMessage.of("k", "x");
        OutgoingMessage<String> rich = plain.withLogCompactId("id").withHeader("h", "v");
        assertThat(plain.logCompactId()).isEmpty();
        assertThat(plain.headers()).isEmpty();
        assertThat(rich.logCompactId()).hasValue("id");
        assertThat(rich.headers()).containsEntry("h", "v");
    }
}
