package io.streamable.backend.mongoredis;

import io.streamable.backend.BackendUrl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    @Test
    @DisplayName("slots and rebalanceDelay stay here, not in the MongoDB connection string; without them slots is"
            + " as recorded per topic and the delay 750 ms; 1 to 1024 slots, delays from 0 to 60 s in every duration form")
    void groupOptions() {
        MongoRedisSettings settings = parse("mongoredis://h/db?redis=none&slots=32&rebalanceDelay=2s&maxPoolSize=5");
        assertThat(settings.groups().slots()).hasValue(32);
        assertThat(settings.groups().rebalanceDelay()).isEqualTo(Duration.ofSeconds(2));
        assertThat(settings.mongo().getConnectionString()).doesNotContain("slots").doesNotContain("rebalanceDelay")
                .contains("maxPoolSize=5");
        MongoRedisSettings defaults = parse("mongoredis://h/db?redis=none");
        assertThat(defaults.groups().slots()).as("no option: the topic's recorded count, 16 for a new topic").isEmpty();
        assertThat(defaults.groups().rebalanceDelay()).isEqualTo(Duration.ofMillis(750));
        assertThat(parse("mongoredis://h/db?redis=none&slots=1").groups().slots()).hasValue(1);
        assertThat(parse("mongoredis://h/db?redis=none&slots=%201024%20").groups().slots()).hasValue(1024);
        assertThat(parse("mongoredis://h/db?redis=none&slots=").groups().slots()).isEmpty();
        assertThat(parse("mongoredis://h/db?redis=none&rebalanceDelay=0").groups().rebalanceDelay()).isZero();
        assertThat(parse("mongoredis://h/db?redis=none&rebalanceDelay=250").groups().rebalanceDelay())
                .isEqualTo(Duration.ofMillis(250));
        assertThat(parse("mongoredis://h/db?redis=none&rebalanceDelay=PT0.5S").groups().rebalanceDelay())
                .isEqualTo(Duration.ofMillis(500));
        assertThat(parse("mongoredis://h/db?redis=none&rebalanceDelay=1m").groups().rebalanceDelay())
                .isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.toString()).contains("slots=32").contains("rebalanceDelay=PT2S");
    }

    @ParameterizedTest(name = "slots={0}")
    @ValueSource(strings = {"0", "-1", "1025", "4096", "abc", "4.5", "16s", "99999999999999999999"})
    @DisplayName("a slot count that is not a whole number from 1 to 1024 is refused, naming the option and the"
            + " range, never the URL's passwords")
    void badSlots(String value) {
        assertThatThrownBy(() -> parse("mongoredis://app:s3cret@h/db?redis=redis://user:r3dis@cache:6380&slots=" + value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slots=" + value + " is not a whole number from 1 to 1024")
                .hasMessageContaining("default 16")
                .hasMessageNotContaining("s3cret").hasMessageNotContaining("r3dis");
    }

    @ParameterizedTest(name = "rebalanceDelay={0}")
    @ValueSource(strings = {"-1s", "abc", "61s", "2m", "1h", "PT-1S", "1.5s", "99999999999999999999h", "9999999999999999h"})
    @DisplayName("a rebalance delay that is no duration, negative or over a minute is refused, naming the option and"
            + " the range, never the URL's passwords")
    void badRebalanceDelay(String value) {
        assertThatThrownBy(() -> parse("mongoredis://app:s3cret@h/db?redis=redis://user:r3dis@cache:6380&rebalanceDelay="
                + value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rebalanceDelay=" + value + " is not a duration from 0 to 60s")
                .hasMessageContaining("250ms").hasMessageContaining("default 750ms")
                .hasMessageNotContaining("s3cret").hasMessageNotContaining("r3dis");
    }

    @Test
    @DisplayName("a duration too large to count in milliseconds is refused like any bad duration, not with a"
            + " NumberFormatException or an overflow")
    void hugeDurations() {
        assertThatThrownBy(() -> parse("mongoredis://u:s3cret@h/db?redis=none&safetyPoll=99999999999999999999"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("safetyPoll=99999999999999999999")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> parse("mongoredis://u:s3cret@h/db?redis=none&leaseTtl=9999999999999999h"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseTtl=9999999999999999h");
    }
}
