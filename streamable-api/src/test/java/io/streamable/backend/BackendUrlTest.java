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
    @DisplayName("an unencoded / # ? or @ in a password is masked, and the URL still parses")
    void unencodedCharactersInPasswords() {
        for (String password : new String[] {"pa/ss", "pa#ss", "pa?ss", "p@ss", "p@s/s?x#y@z"}) {
            BackendUrl url = BackendUrl.parse("mongoredis://app:" + password + "@db:27017/topics?redis=redis://cache:6379");
            assertThat(url.toString()).as(password).doesNotContain(password).doesNotContain("ss@")
                    .contains("app:****@db:27017/topics", "redis=redis://cache:6379");
            assertThat(url.option("redis")).as(password).hasValue("redis://cache:6379");
        }
        BackendUrl question = BackendUrl.parse("kafka://app:pa?ss@broker:9092?partitions=3");
        assertThat(question.options()).containsOnlyKeys("partitions");
        assertThat(question.schemeSpecificPart()).isEqualTo("//app:pa?ss@broker:9092");
        assertThat(BackendUrl.mask("app:pa/ss@db:27017")).doesNotContain("pa/ss").contains("db:27017");
    }

    @Test
    @DisplayName("the user info is found by structure, for backends that split host from path")
    void userInfo() {
        assertThat(BackendUrl.parse("mongoredis://app:p/a#s?s@w@db:27017/topics?redis=redis://u:x@cache").userInfo())
                .hasValue("app:p/a#s?s@w");
        assertThat(BackendUrl.parse("mongoredis://app@db:27017/topics").userInfo()).hasValue("app");
        assertThat(BackendUrl.parse("mongoredis://db:27017/topics?redis=redis://u:x@cache").userInfo()).isEmpty();
        assertThat(BackendUrl.parse("kafka://h:9092?topic.note=a@b").userInfo()).isEmpty();
        assertThat(BackendUrl.parse("memory:").userInfo()).isEmpty();
    }

    @Test
    @DisplayName("a nested Redis URL's password is masked whole, raw, decoded or percent-encoded, with @ inside")
    void nestedUrls() {
        BackendUrl url = BackendUrl.parse("mongoredis://db:27017/t?redis=redis://u:p%40ss@cache:6379");
        assertThat(url.option("redis")).hasValue("redis://u:p@ss@cache:6379");
        assertThat(url.toString()).doesNotContain("p%40ss", "40ss").contains("cache:6379");
        // backends mask the decoded option value in their own messages
        assertThat(BackendUrl.mask(url.option("redis").orElseThrow())).isEqualTo("redis://u:****@cache:6379");
        assertThat(BackendUrl.mask("mongoredis://db/t?redis=redis%3A%2F%2Fu%3Ap%2540s@s%40cache%3A6379&safetyPoll=1s"))
                .doesNotContain("2540", "s@s").contains("cache%3A6379", "safetyPoll=1s");
        assertThat(BackendUrl.mask("mongoredis://a:s3cret@db/t?redis=redis://:r3dis@cache:6379"))
                .isEqualTo("mongoredis://a:****@db/t?redis=redis://:****@cache:6379");
    }

    @Test
    @DisplayName("secret-named options are masked, nested names and NAME:value pairs included")
    void secretOptions() {
        String pem = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-----END PRIVATE KEY-----";
        String url = "kafka://broker:9092?kafka.ssl.keystore.key=" + pem
                + "&kafka.basic.auth.user.info=me:b4sic&partitions=3"
                + "&kafka.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"me\" password=\"p&q=1\";&kafka.ssl.key.password=k3y&replication=1";
        assertThat(BackendUrl.mask(url)).doesNotContain("MIIE", "b4sic", "p&q", "k3y", "PRIVATE")
                .contains("broker:9092", "partitions=3", "replication=1", "kafka.ssl.keystore.key=****");
        String mongo = "mongoredis://db:27017/t?authMechanism=MONGODB-AWS"
                + "&authMechanismProperties=AWS_SESSION_TOKEN:FQoGZXIvYXdz,SERVICE_NAME:mongodb&redis=none";
        assertThat(BackendUrl.mask(mongo)).doesNotContain("FQoGZXIvYXdz")
                .contains("AWS_SESSION_TOKEN:****", "SERVICE_NAME:mongodb", "authMechanism=MONGODB-AWS", "redis=none");
        assertThat(BackendUrl.mask("x://h:1?authMechanismProperties=AWS_SESSION_TOKEN%3AFQoGZXIvYXdz"))
                .doesNotContain("FQoGZXIvYXdz");
        assertThat(BackendUrl.isSecretOption("kafka.ssl.keystore.key")).isTrue();
        assertThat(BackendUrl.isSecretOption("kafka.basic.auth.user.info")).isTrue();
        assertThat(BackendUrl.isSecretOption("Kafka.SASL.JAAS.Config")).isTrue();
        assertThat(BackendUrl.isSecretOption("AccessToken")).isTrue();
        assertThat(BackendUrl.isSecretOption("partitions")).isFalse();
        assertThat(BackendUrl.isSecretOption("safetyPoll")).isFalse();
    }

    @Test
    @DisplayName("kafka://user:password with the host forgotten is masked; host:port lists are not")
    void forgottenHost() {
        assertThat(BackendUrl.parse("kafka://user:pw").toString()).isEqualTo("kafka://user:****");
        assertThat(BackendUrl.parse("kafka://user:pw?partitions=3").toString()).isEqualTo("kafka://user:****?partitions=3");
        for (String plain : new String[] {"kafka://b1:9092,b2:9093?partitions=3", "mongoredis://db:27017/topics?redis=none",
                "kafka://[::1]:9092", "kafka://h:9092?topic.note=a@b", "memory:", "memory:shared"}) {
            assertThat(BackendUrl.parse(plain).toString()).isEqualTo(plain);
        }
        assertThat(BackendUrl.parse("kafka://h:9092?topic.note=a@b").options()).containsEntry("topic.note", "a@b");
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
