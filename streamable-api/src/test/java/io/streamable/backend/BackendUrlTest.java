package io.streamable.backend;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackendUrlTest {

    @Test
    @DisplayName("scheme, scheme-specific part and decoded options are split apart")
    void parses() {
        BackendUrl url = BackendUrl.parse("MongoRedis://db:27017/topics?redis=redis%3A%2F%2Fr%3A6379&safetyPoll=3s");
        assertThat(url.scheme()).isEqualTo("mongoredis");
        assertThat(url.schemeSpecificPart()).isEqualTo("//db:27017/topics");
        assertThat(url.options()).containsEntry("redis", "redis://r:6379").containsEntry("safetyPoll", "3s");
        assertThat(BackendUrl.parse("memory:").schemeSpecificPart()).isEmpty();
    }

    @Test
    @DisplayName("passwords never show in toString, in user-info, nested URLs or secret options")
    void masksPasswords() {
        BackendUrl url = BackendUrl.parse("mongoredis://app:s3cret@db:27017/topics"
                + "?redis=redis://:r3dis@cache:6379&kafka.sasl.jaas.config=hunter2&ssl.truststore.password=tr0st");
        String text = url.toString();
        assertThat(text).doesNotContain("s3cret", "r3dis", "hunter2", "tr0st")
                .contains("app:****@db", "cache:6379");
        assertThat(url.raw()).contains("s3cret");
        String encoded = BackendUrl.mask("mongoredis://db/t?redis=redis%3A%2F%2Fuser%3Apw123%40cache%3A6379");
        assertThat(encoded).doesNotContain("pw123");
    }

    @Test
    @DisplayName("options given outside the URL are defaults the URL overrides")
    void defaults() {
        BackendUrl url = BackendUrl.parse("kafka://k:9092?partitions=12").withDefaults(Map.of("partitions", "3", "replication", "1"));
        assertThat(url.options()).containsEntry("partitions", "12").containsEntry("replication", "1");
    }

    @Test
    @DisplayName("a URL without a scheme is rejected with examples")
    void noScheme() {
        assertThatThrownBy(() -> BackendUrl.parse("localhost"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memory:");
    }
}
