package io.streamable.client;

import io.streamable.backend.BackendNotFoundException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.BackendUrl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("Configuration: Streamable.open() and StreamableBuilder.fromEnvironment()")
class ConfigurationTest {
    @TempDir
    Path dir;

    private ClassLoader noFile() {
        return new URLClassLoader(new URL[0], null);
    }

    private ClassLoader file(String content) throws IOException {
        Path root = Files.createDirectories(dir.resolve("classpath"));
        Files.writeString(root.resolve(StreamableBuilder.PROPERTIES_RESOURCE), content);
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    }

    private static Properties props(String... keyValues) {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return properties;
    }

    private static StreamableBuilder configured(Map<String, String> env, Properties system, ClassLoader resources) {
        return Streamable.builder().fromEnvironment(env::get, system, resources);
    }

    @Nested
    @DisplayName("where the URL comes from")
    class UrlOrder {
        @Test
        @DisplayName("nothing configured gives memory:")
        void defaultIsMemory() {
            BackendUrl url = configured(Map.of(), props(), noFile()).resolve();
            assertThat(url.raw()).isEqualTo("memory:");
        }

        @Test
        @DisplayName("the environment variable wins over the system property and the file")
        void environmentFirst() throws IOException {
            StreamableBuilder builder = configured(Map.of("STREAMABLE_URL", "recording://env"),
                    props("streamable.url", "recording://system"), file("streamable.url=recording://file\n"));
            assertThat(builder.resolve().raw()).isEqualTo("recording://env");
            assertThat(builder.urlSource()).isEqualTo("the environment variable STREAMABLE_URL");
        }

        @Test
        @DisplayName("the system property wins over the file")
        void systemPropertySecond() throws IOException {
            StreamableBuilder builder = configured(Map.of(), props("streamable.url", "recording://system"),
                    file("streamable.url=recording://file\n"));
            assertThat(builder.resolve().raw()).isEqualTo("recording://system");
        }

        @Test
        @DisplayName("streamable.properties on the class path is read last")
        void fileThird() throws IOException {
            StreamableBuilder builder = configured(Map.of(), props(), file("streamable.url=recording://file\n"));
            assertThat(builder.resolve().raw()).isEqualTo("recording://file");
            assertThat(builder.urlSource()).startsWith("the key streamable.url in streamable.properties (file:");
        }

        @Test
        @DisplayName("a blank environment variable is ignored rather than read as an empty URL")
        void blankIgnored() {
            StreamableBuilder builder = configured(Map.of("STREAMABLE_URL", "  "),
                    props("streamable.url", "recording://system"), noFile());
            assertThat(builder.resolve().raw()).isEqualTo("recording://system");
        }

        @Test
        @DisplayName("build() opens the backend the configured URL names")
        void buildOpens() {
            try (Streamable streamable = configured(Map.of("STREAMABLE_URL", "recording://opened"), props(), noFile())
                    .build()) {
                assertThat(RecordingBackendProvider.LAST.get().raw()).isEqualTo("recording://opened");
                assertThat(streamable.toString()).contains("recording://opened");
            }
        }
    }

    @Nested
    @DisplayName("backend options")
    class Options {
        @Test
        @DisplayName("streamable.<scheme>.* entries pass through; system properties beat the file; the URL beats both")
        void passThrough() throws IOException {
            BackendUrl url = configured(Map.of("STREAMABLE_URL", "recording://host?fromUrl=url&shared=url"),
                    props("streamable.recording.fromSystem", "system", "streamable.recording.both", "system",
                            "streamable.recording.shared", "system", "streamable.kafka.acks", "all",
                            "other.recording.x", "ignored"),
                    file("streamable.recording.fromFile=file\nstreamable.recording.both=file\n")).resolve();
            assertThat(url.options()).containsEntry("fromUrl", "url")
                    .containsEntry("shared", "url")
                    .containsEntry("fromSystem", "system")
                    .containsEntry("both", "system")
                    .containsEntry("fromFile", "file")
                    .doesNotContainKeys("acks", "x", "kafka.acks");
        }

        @Test
        @DisplayName("options follow the scheme of the final URL, also when url(...) comes after fromEnvironment()")
        void optionsFollowFinalScheme() {
            BackendUrl url = configured(Map.of("STREAMABLE_URL", "memory:"),
                    props("streamable.recording.partitions", "3", "streamable.memory.ignored", "x"), noFile())
                    .url("recording://override").resolve();
            assertThat(url.options()).containsOnly(Map.entry("partitions", "3"));
        }

        @Test
        @DisplayName("option(...) in code wins over the environment")
        void codeWins() {
            BackendUrl url = configured(Map.of(), props("streamable.url", "recording://h",
                    "streamable.recording.partitions", "3"), noFile()).option("partitions", "6").resolve();
            assertThat(url.options()).containsEntry("partitions", "6");
        }
    }

    @Nested
    @DisplayName("bad configuration fails at startup, naming key, value and fix")
    class Errors {
        @Test
        @DisplayName("a URL without a scheme names the environment variable, masks the password and shows examples")
        void noScheme() {
            assertThatThrownBy(() -> configured(Map.of("STREAMABLE_URL", "//user:hunter2@host:9092"), props(), noFile())
                    .build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("STREAMABLE_URL")
                    .hasMessageContaining("//user:****@host:9092")
                    .hasMessageContaining("kafka://localhost:9092")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        @DisplayName("user:password@host without // parses as a scheme, and the password is still masked")
        void bareUserInfo() {
            assertThatThrownBy(() -> configured(Map.of("STREAMABLE_URL", "admin:hunter2@host:9092"), props(), noFile())
                    .build())
                    .isInstanceOf(BackendNotFoundException.class)
                    .hasMessageContaining("admin:****@host:9092")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        @DisplayName("a missing backend module names its Maven artifact and where the URL came from")
        void missingKafka() {
            assertThatThrownBy(() -> configured(Map.of(), props("streamable.url", "kafka://user:hunter2@broker:9092"),
                    noFile()).build())
                    .isInstanceOf(BackendNotFoundException.class)
                    .hasMessageContaining("io.streamable:backend-kafka")
                    .hasMessageContaining("the system property streamable.url")
                    .hasMessageContaining("user:****@broker")
                    .hasMessageContaining("recording")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        @DisplayName("Streamable.open(url) for mongoredis without its module names io.streamable:backend-mongoredis")
        void missingMongoRedis() {
            assertThatThrownBy(() -> Streamable.open("mongoredis://app:s3cret@localhost:27017/db?redis=redis://localhost:6379"))
                    .isInstanceOf(BackendNotFoundException.class)
                    .hasMessageContaining("io.streamable:backend-mongoredis")
                    .hasMessageNotContaining("s3cret");
        }

        @Test
        @DisplayName("an unknown scheme, such as host:port without one, lists the known backends")
        void unknownScheme() {
            assertThatThrownBy(() -> configured(Map.of("STREAMABLE_URL", "localhost:9092"), props(), noFile()).build())
                    .isInstanceOf(BackendNotFoundException.class)
                    .hasMessageContaining("\"localhost\" is not a scheme")
                    .hasMessageContaining("kafka=io.streamable:backend-kafka")
                    .hasMessageContaining("STREAMABLE_URL");
        }

        @Test
        @DisplayName("an option the backend refuses names the system property it came from; secrets stay masked")
        void refusedOption() {
            assertThatThrownBy(() -> configured(Map.of("STREAMABLE_URL", "recording://host"),
                    props("streamable.recording.partitions", "twelve", "streamable.recording.password", "hunter2"),
                    noFile()).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("partitions=twelve from the system property streamable.recording.partitions")
                    .hasMessageContaining("password=****")
                    .hasMessageContaining("Option partitions must be a positive number")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        @DisplayName("an unreachable backend names the URL's source")
        void unreachable() {
            assertThatThrownBy(() -> configured(Map.of(), props(), noFile()).url("recording://user:hunter2@host?down=true")
                    .build())
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("recording://user:****@host")
                    .hasMessageContaining("connection refused")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        @DisplayName("a null URL or start position says what to pass instead, not one word")
        void nullArguments() {
            assertThatThrownBy(() -> Streamable.builder().url(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("The backend URL is null").hasMessageContaining("memory:")
                    .hasMessageContaining("STREAMABLE_URL");
            try (Streamable streamable = configured(Map.of(), props(), noFile()).url("recording://host").build()) {
                assertThatThrownBy(() -> streamable.consumer(io.streamable.Topic.of("t", String.class)).startFrom(null))
                        .isInstanceOf(NullPointerException.class).hasMessageContaining("startFrom is null")
                        .hasMessageContaining("StartFrom.beginning()");
            }
        }
    }
}
