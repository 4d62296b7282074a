package io.streamable.state;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharedStateTest {

    @Test
    @DisplayName("an unknown scheme names the scheme, the stores found and the artifact to add, without the password")
    void unknownScheme() {
        assertThatThrownBy(() -> SharedState.open("mongodb://bank:s3cret@db:27017/bank"))
                .isInstanceOf(StateBackendNotFoundException.class)
                .hasMessageContaining("\"mongodb\"")
                .hasMessageContaining("[memory]")
                .hasMessageContaining("io.streamable:state-mongodb")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    @DisplayName("memory: is private to its connection, memory:NAME is shared in the JVM")
    void memoryScopes() {
        try (SharedState one = SharedState.open("memory:"); SharedState two = SharedState.open("memory:")) {
            one.store("s", Long.class).update("k", current -> 1L);
            assertThat(two.store("s", Long.class).get("k")).isEmpty();
        }
        try (SharedState one = SharedState.open("memory:scopes"); SharedState two = SharedState.open("memory:scopes")) {
            one.store("s", Long.class).update("k", current -> 1L);
            assertThat(two.store("s", Long.class).get("k")).contains(1L);
        }
    }

    @Test
    @DisplayName("a store name that breaks the naming rules is refused with an example")
    void badStoreName() {
        try (SharedState state = SharedState.open("memory:")) {
            assertThatThrownBy(() -> state.store("no spaces", Long.class))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"balances\"");
        }
    }

    @Test
    @DisplayName("toString masks the password")
    void masked() {
        try (SharedState state = SharedState.builder().url("memory:masked").build()) {
            assertThat(state.toString()).isEqualTo("SharedState[memory:masked]");
        }
    }

    @Test
    @DisplayName("an update function that keeps losing gives up with StateConflictException and writes nothing")
    void conflictsExhausted() {
        try (SharedState state = SharedState.builder().url("memory:").maxAttempts(3).build()) {
            StateStore<Long> store = state.store("s", Long.class);
            store.update("k", current -> 0L);
            // a writer that changes the key inside every attempt makes every attempt lose
            assertThatThrownBy(() -> store.update("k", current -> {
                store.update("k", inner -> inner.orElseThrow() + 1);
                return 1000L;
            })).isInstanceOf(StateConflictException.class).hasMessageContaining("3 times");
            assertThat(store.get("k")).contains(3L);
            assertThat(store.stats().conflicts()).isEqualTo(3);
        }
    }
}
