package io.streamable.backend.inmemory;

import io.streamable.backend.BackendUrl;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.StartFrom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@DisplayName("In-memory leases: a TTL renewed by the connection, epochs that fence a reader taken over")
class InMemoryLeaseTest {
    private final List<InMemoryBackend> backends = new ArrayList<>();
    private final String storage = "lease-test-" + UUID.randomUUID();

    @AfterEach
    void close() {
        backends.forEach(InMemoryBackend::close);
    }

    private TopicStore topic(String options) {
        InMemoryBackend backend = (InMemoryBackend) new InMemoryBackendProvider()
                .open(BackendUrl.parse("memory:" + storage + options));
        backends.add(backend);
        return backend.topic("orders");
    }

    @Test
    @DisplayName("leaseTtl defaults to 10 s and is read from the URL")
    void ttlOption() {
        InMemoryBackend byDefault = (InMemoryBackend) new InMemoryBackendProvider().open(BackendUrl.parse("memory:"));
        InMemoryBackend configured = (InMemoryBackend) new InMemoryBackendProvider()
                .open(BackendUrl.parse("memory:x?leaseTtl=2s"));
        backends.add(byDefault);
        backends.add(configured);

        assertThat(byDefault.leaseTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(configured.leaseTtl()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("a leaseTtl that is not a duration of at least 300 ms is refused with the accepted forms")
    void invalidTtl() {
        assertThatThrownBy(() -> new InMemoryBackendProvider().open(BackendUrl.parse("memory:x?leaseTtl=soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseTtl=soon")
                .hasMessageContaining("500ms");
        assertThatThrownBy(() -> new InMemoryBackendProvider().open(BackendUrl.parse("memory:x?leaseTtl=100ms")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 300ms");
    }

    @Test
    @DisplayName("a live reader keeps its name past the TTL, because its connection renews the lease")
    void renewedLeaseIsKept() {
        TopicReader holder = topic("?leaseTtl=300ms").openReader(ReaderSpec.named("billing", StartFrom.beginning()));
        TopicStore other = topic("?leaseTtl=300ms");

        await().during(Duration.ofMillis(1_200)).atMost(Duration.ofSeconds(5)).until(() -> {
            try {
                other.openReader(ReaderSpec.named("billing", StartFrom.beginning())).close();
                return false;
            } catch (ConsumerNameInUseException expected) {
                return true;
            }
        });
        holder.commit(io.streamable.Position.of(0));
    }

    @Test
    @DisplayName("a reader whose renewal is suspended is taken over after the TTL and fenced, and its close leaves the new lease alone")
    void suspendedReaderIsFenced() throws InterruptedException {
        InMemoryReader paused = (InMemoryReader) topic("?leaseTtl=300ms")
                .openReader(ReaderSpec.named("billing", StartFrom.beginning()));
        TopicStore other = topic("?leaseTtl=300ms");
        paused.suspendOwnership();

        TopicReader owner = await().atMost(Duration.ofSeconds(5)).ignoreExceptionsInstanceOf(ConsumerNameInUseException.class)
                .until(() -> other.openReader(ReaderSpec.named("billing", StartFrom.beginning())), reader -> true);

        assertThatThrownBy(() -> paused.read(10, Duration.ZERO)).isInstanceOf(ConsumerFencedException.class)
                .hasMessageContaining("epoch 1").hasMessageContaining("epoch 2");
        assertThatThrownBy(() -> paused.commit(io.streamable.Position.of(0))).isInstanceOf(ConsumerFencedException.class);
        paused.close();
        assertThatThrownBy(() -> other.openReader(ReaderSpec.named("billing", StartFrom.beginning())))
                .isInstanceOf(ConsumerNameInUseException.class);
        assertThat(owner.read(10, Duration.ZERO).records()).isEmpty();
    }
}
