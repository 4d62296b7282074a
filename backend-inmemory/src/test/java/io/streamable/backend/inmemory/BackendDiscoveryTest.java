package io.streamable.backend.inmemory;

import io.streamable.Topic;
import io.streamable.backend.BackendNotFoundException;
import io.streamable.client.Streamable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendDiscoveryTest {

    @Test
    @DisplayName("memory: is found through ServiceLoader by its scheme")
    void findsMemoryByScheme() {
        try (Streamable streamable = Streamable.open("memory:")) {
            assertThat(streamable.backend()).isInstanceOf(InMemoryBackend.class);
            assertThat(streamable.toString()).contains("memory:");
        }
    }

    @Test
    @DisplayName("an unknown scheme lists the schemes found and names the artifact to add, without the password")
    void unknownScheme() {
        assertThatThrownBy(() -> Streamable.open("kafka://user:hunter2@broker:9092"))
                .isInstanceOf(BackendNotFoundException.class)
                .hasMessageContaining("No backend for scheme \"kafka\"")
                .hasMessageContaining("[memory]")
                .hasMessageContaining("io.streamable:backend-kafka")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    @DisplayName("memory:NAME is shared by every connection naming it; memory: alone is private")
    void namedStoresAreShared() {
        Topic<String> topic = Topic.of("shared", String.class);
        try (Streamable first = Streamable.open("memory:discovery-shared");
             Streamable second = Streamable.open("memory:discovery-shared");
             Streamable isolated = Streamable.open("memory:")) {
            first.producer(topic).appendAndWait("k", "hello");
            assertThat(second.topics()).contains("shared");
            assertThat(isolated.topics()).doesNotContain("shared");
        }
    }

    @Test
    @DisplayName("a closed Streamable refuses new producers with a clear message")
    void closedRefuses() {
        Streamable streamable = Streamable.open("memory:");
        streamable.close();
        streamable.close();
        assertThatThrownBy(() -> streamable.producer(Topic.of("t", String.class)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
