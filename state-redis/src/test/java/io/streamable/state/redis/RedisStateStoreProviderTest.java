package io.streamable.state.redis;

import io.streamable.state.Change;
import io.streamable.state.SharedState;
import io.streamable.state.Source;
import io.streamable.state.StateStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

import java.net.URI;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisStateStoreProviderTest {

    @Test
    @DisplayName("a key is a hash with version, value and applied positions, indexed for prefix lookups")
    void layout() {
        String url = RedisTestServer.stateUrl("layout");
        try (SharedState state = SharedState.open(url)) {
            state.store("balances", Long.class).update("acct-1", Source.of("bank.deposits", 41), current -> 250L);
        }
        String prefix = url.substring(url.indexOf("keyPrefix=") + "keyPrefix=".length());
        try (RedisClient redis = RedisClient.create(URI.create(RedisStateStoreProvider.withoutOwnOptions(url)))) {
            Map<String, String> hash = redis.hgetAll(prefix + "balances:k:acct-1");
            assertThat(hash).containsEntry("v", "1").containsEntry("d", "250").containsEntry("a:bank.deposits", "41");
            assertThat(redis.zrange(prefix + "balances:keys", 0, -1)).containsExactly("acct-1");
        }
    }

    @Test
    @DisplayName("pending output is an o: field of the key's hash, and the key is in the store's pending set until acknowledged")
    void outboxLayout() {
        String url = RedisTestServer.stateUrl("outbox");
        String prefix = url.substring(url.indexOf("keyPrefix=") + "keyPrefix=".length());
        try (SharedState state = SharedState.open(url);
             RedisClient redis = RedisClient.create(URI.create(RedisStateStoreProvider.withoutOwnOptions(url)))) {
            StateStore<Long> store = state.store("balances", Long.class);
            store.computeWithOutput("acct-1", Source.of("bank.deposits", 41), current -> Change.of(250L, new byte[] {7}));
            store.update("acct-2", Source.of("bank.deposits", 42), current -> 1L);
            assertThat(redis.hgetAll(prefix + "balances:k:acct-1")).containsKey("o:bank.deposits@41");
            assertThat(redis.smembers(prefix + "balances:pending")).containsExactly("acct-1");
            store.acknowledge("acct-1", Source.of("bank.deposits", 41));
            assertThat(redis.hgetAll(prefix + "balances:k:acct-1")).doesNotContainKey("o:bank.deposits@41");
            assertThat(redis.smembers(prefix + "balances:pending")).isEmpty();
        }
    }

    @Test
    @DisplayName("the module's own options are kept from Jedis")
    void ownOptionsStripped() {
        assertThat(RedisStateStoreProvider.withoutOwnOptions("redis://h:1/2?keyPrefix=x:&ssl=false"))
                .isEqualTo("redis://h:1/2?ssl=false");
        assertThat(RedisStateStoreProvider.withoutOwnOptions("redis://h:1?keyPrefix=x:")).isEqualTo("redis://h:1");
        assertThat(RedisStateStoreProvider.withoutOwnOptions("redis://h:1?durability=none&keyPrefix=x:"))
                .isEqualTo("redis://h:1");
    }

    @Test
    @DisplayName("a URL without a host is refused with an example and without the password")
    void invalidUrl() {
        assertThatThrownBy(() -> SharedState.open("redis:nohost"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://localhost:6379");
    }

    @Test
    @DisplayName("the password never shows in toString")
    void masked() {
        try (SharedState state = SharedState.open("redis://user:s3cret@127.0.0.1:1")) {
            assertThat(state.toString()).contains("user:****@").doesNotContain("s3cret");
            StateStore<Long> store = state.store("s", Long.class);
            assertThatThrownBy(() -> store.get("k")).hasMessageNotContaining("s3cret");
        }
    }
}
