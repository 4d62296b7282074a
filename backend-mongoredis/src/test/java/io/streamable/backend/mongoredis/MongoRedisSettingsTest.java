package io.streamable.backend.mongoredis;

import io.streamable.backend.BackendUrl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a mongoredis URL is split between the MongoDB driver, Redis and this backend. */
class MongoRedisSettingsTest {

    private static MongoRedisSettings parse(String url) {
        return MongoRedisSettings.parse(BackendUrl.parse(url));
    }

    @Test
    @DisplayName("credentials, hosts and driver options go to MongoDB; redis, safetyPoll and leaseTtl stay here")
    void splitsOptions() {
        MongoRedisSettings settings = parse("mongoredis://app:s3cret@db1:27017,db2:27018/topics"
                + "?replicaSet=rs0&authSource=admin&w=majority&tls=true"
                + "&redis=redis://user:r3dis@cache:6380/2&safetyPoll=750ms&leaseTtl=PT20S");
        assertThat(settings.mongo().getUsername()).isEqualTo("app");
        assertThat(settings.mongo().getPassword()).containsExactly("s3cret".toCharArray());
        assertThat(settings.mongo().getHosts()).containsExactly("db1:27017", "db2:27018");
        assertThat(settings.mongo().getRequiredReplicaSetName()).isEqualTo("rs0");
        assertThat(settings.mongo().getCredential().getSource()).isEqualTo("admin");
        assertThat(settings.mongo().getSslEnabled()).isTrue();
        assertThat(settings.mongo().getConnectionString()).doesNotContain("redis").doesNotContain("safetyPoll");
        assertThat(settings.database()).isEqualTo("topics");
        assertThat(settings.redis()).hasValueSatisfying(uri -> {
            assertThat(uri.getHost()).isEqualTo("cache");
            assertThat(uri.getPort()).isEqualTo(6380);
            assertThat(uri.getUserInfo()).isEqualTo("user:r3dis");
        });
        assertThat(settings.redisTls()).as("tls=true applies to Redis too").isTrue();
        assertThat(settings.safetyPoll()).isEqualTo(Duration.ofMillis(750));
        assertThat(settings.leaseTtl()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.toString()).doesNotContain("s3cret").doesNotContain("r3dis");
    }

    @Test
    @DisplayName("defaults: database streamable, safety poll 3 s, lease 10 s, plain Redis; rediss means TLS; none means no Redis")
    void defaults() {
        MongoRedisSettings settings = parse("mongoredis://localhost?redis=redis://localhost");
        assertThat(settings.database()).isEqualTo("streamable");
        assertThat(settings.safetyPoll()).isEqualTo(Duration.ofSeconds(3));
        assertThat(settings.leaseTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.redisTls()).isFalse();
        assertThat(parse("mongoredis://localhost/db?redis=rediss://cache:6379").redisTls()).isTrue();
        assertThat(parse("mongoredis://localhost/db?redis=none").redis()).isEmpty();
    }

    @Test
    @DisplayName("options given outside the URL (builder, properties) count too; the URL's own win")
    void outsideOptions() {
        MongoRedisSettings settings = MongoRedisSettings.parse(BackendUrl.parse("mongoredis://localhost/db?safetyPoll=1s")
                .withDefaults(Map.of("redis", "redis://cache", "safetyPoll", "9s")));
        assertThat(settings.redis()).isPresent();
        assertThat(settings.safetyPoll()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    @DisplayName("bad durations and a too short lease are refused with the option's name and an example")
    void badDurations() {
        assertThatThrownBy(() -> parse("mongoredis://h/db?redis=none&safetyPoll=-1s"))
                .hasMessageContaining("safetyPoll=-1s").hasMessageContaining("500ms");
        assertThatThrownBy(() -> parse("mongoredis://h/db?redis=none&safetyPoll=0"))
                .hasMessageContaining("safetyPoll=0");
        assertThatThrownBy(() -> parse("mongoredis://h/db?redis=none&leaseTtl=100ms"))
                .hasMessageContaining("leaseTtl=100ms").hasMessageContaining("300ms");
        assertThatThrownBy(() -> parse("mongoredis://u:s3cret@h/db?redis=none&w=bogus&maxPoolSize=x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
    }

    @Test
    @DisplayName("a nested Redis password with an encoded @ (p%40ss) reaches Redis as p@ss, the host intact")
    void encodedAtInRedisPassword() {
        MongoRedisSettings settings = parse("mongoredis://localhost/db?redis=redis://app:p%40ss@cache:6380/2");
        URI redis = settings.redis().orElseThrow();
        assertThat(redis.getHost()).isEqualTo("cache");
        assertThat(redis.getPort()).isEqualTo(6380);
        assertThat(redis.getUserInfo()).isEqualTo("app:p@ss");
        assertThat(settings.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
    }
}
