package io.streamable.produce;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

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
