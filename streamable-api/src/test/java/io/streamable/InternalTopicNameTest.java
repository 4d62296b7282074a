package io.streamable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InternalTopicNameTest {

    @Test
    @DisplayName("framework-internal names start with __, which users cannot use")
    void internalNames() {
        assertThat(TopicName.isInternal("__schemas.orders")).isTrue();
        assertThat(TopicName.isInternal("orders")).isFalse();
        assertThat(TopicName.isInternal(null)).isFalse();
        assertThat(TopicName.isValid("__schemas.orders")).as("users cannot create them").isFalse();
    }

    @Test
    @DisplayName("requireStorable accepts legal names and __ followed by a legal name, even past MAX_LENGTH")
    void storable() {
        assertThat(TopicName.requireStorable("orders")).isEqualTo("orders");
        assertThat(TopicName.requireStorable("__schemas.orders")).isEqualTo("__schemas.orders");
        String longest = "__schemas." + "x".repeat(TopicName.MAX_LENGTH);
        assertThat(TopicName.requireStorable(longest)).hasSize(TopicName.MAX_LENGTH + 10);
    }

    @Test
    @DisplayName("requireStorable rejects an empty or illegal internal name and illegal user names")
    void notStorable() {
        assertThatThrownBy(() -> TopicName.requireStorable("__")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("followed by a legal topic name");
        assertThatThrownBy(() -> TopicName.requireStorable("__a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TopicName.requireStorable("__" + "x".repeat(TopicName.MAX_INTERNAL_LENGTH)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("249");
        assertThatThrownBy(() -> TopicName.requireStorable("system.users")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TopicName.requireStorable("_x")).isInstanceOf(IllegalArgumentException.class);
    }
}
