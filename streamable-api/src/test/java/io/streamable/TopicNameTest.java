package io.streamable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"orders", "billing.invoices-v2", "A_1", "9lives"})
    @DisplayName("names of letters, digits, dots, dashes and underscores are legal")
    void legal(String name) {
        assertThat(TopicName.requireValid(name)).isEqualTo(name);
        assertThat(Topic.of(name, String.class).name()).isEqualTo(name);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"has space", "dollar$", "_internal", ".hidden", "-dash", "system.users", "slash/name", "ünïcode"})
    @DisplayName("illegal names are rejected with the rule and an example")
    void illegal(String name) {
        assertThat(TopicName.isValid(name)).isFalse();
        assertThatThrownBy(() -> Topic.of(name, String.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid topic name")
                .hasMessageContaining("A-Z a-z 0-9 . _ -");
    }

    @org.junit.jupiter.api.Test
    @DisplayName("names longer than the limit are rejected with both lengths")
    void tooLong() {
        assertThatThrownBy(() -> TopicName.requireValid("x".repeat(TopicName.MAX_LENGTH + 1)))
                .hasMessageContaining((TopicName.MAX_LENGTH + 1) + " characters long");
    }
}
