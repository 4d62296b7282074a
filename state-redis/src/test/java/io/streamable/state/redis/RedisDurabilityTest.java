package io.streamable.state.redis;

import io.streamable.state.SharedState;
import io.streamable.state.StateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.embedded.RedisServer;

import java.io.IOException;
import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Redis state store refuses a server that would lose acknowledged updates on restart. */
class RedisDurabilityTest {
    private RedisServer server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.stop();
        }
    }

    private String url(String options) {
        return "redis://127.0.0.1:" + server.ports().get(0) + "?keyPrefix=durability:" + options;
    }

    @Test
    @DisplayName("a server without AOF is refused at open, with the fix and the opt-out in the error")
    void withoutAofRefused() {
        server = RedisTestServer.startServer(false);
        assertThatThrownBy(() -> SharedState.open(url("")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("does not persist state updates durably")
                .hasMessageContaining("appendonly no")
                .hasMessageContaining("appendonly yes")
                .hasMessageContaining("appendfsync everysec")
                .hasMessageContaining("durability=none");
    }

    @Test
    @DisplayName("durability=none opens a server without AOF and works, accepting the risk")
    void optOut() {
        server = RedisTestServer.startServer(false);
        try (SharedState state = SharedState.open(url("&durability=none"))) {
            StateStore<Long> store = state.store("s", Long.class);
            store.update("k", current -> 1L);
            assertThat(store.get("k")).contains(1L);
        }
    }

    @Test
    @DisplayName("a server with AOF and appendfsync everysec is accepted")
    void withAofAccepted() {
        server = RedisTestServer.startServer(true);
        try (SharedState state = SharedState.open(url(""))) {
            StateStore<Long> store = state.store("s", Long.class);
            store.update("k", current -> 2L);
            assertThat(store.get("k")).contains(2L);
        }
    }

    @Test
    @DisplayName("appendfsync no is not enough: the OS may keep acknowledged writes in memory for 30 s")
    void fsyncNoRefused() {
        server = RedisTestServer.startServer(true);
        try (RedisClient admin = RedisClient.create(URI.create("redis://127.0.0.1:" + server.ports().get(0)))) {
            admin.configSet("appendfsync", "no");
        }
        assertThatThrownBy(() -> SharedState.open(url(""))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("appendfsync no");
    }

    @Test
    @DisplayName("a server that is down at open is checked on first use, and refused then")
    void checkedOnFirstUse() throws IOException {
        server = RedisTestServer.startServer(false);
        int port = server.ports().get(0);
        server.stop();
        try (SharedState state = SharedState.open("redis://127.0.0.1:" + port + "?keyPrefix=durability:")) {
            StateStore<Long> store = state.store("s", Long.class);
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(io.streamable.backend.BackendUnavailableException.class);
            server.start();
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("durability=none");
        }
    }

    @Test
    @DisplayName("an unknown durability value is refused with the choices")
    void unknownValue() {
        assertThatThrownBy(() -> SharedState.open("redis://127.0.0.1:1?durability=maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aof").hasMessageContaining("none");
    }
}
