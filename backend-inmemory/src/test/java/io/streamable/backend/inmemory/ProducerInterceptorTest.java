package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.ProducerInterceptor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Producer interceptors wrap every append of every producer")
class ProducerInterceptorTest {
    record Greeting(String name) {
    }

    private static final Topic<Greeting> GREETINGS = Topic.of("greetings", Greeting.class);

    /** Adds a header naming itself and records what it saw, before and after the append. */
    private static ProducerInterceptor stamping(String name, List<String> log) {
        return new ProducerInterceptor() {
            @Override
            public <T> CompletableFuture<List<Position>> aroundAppend(Topic<T> topic, List<OutgoingMessage<T>> messages,
                                                                    Append<T> next) {
                log.add(name + " before " + messages.size());
                List<OutgoingMessage<T>> stamped = new ArrayList<>();
                messages.forEach(message -> stamped.add(message.withHeader("via", message.headers()
                        .getOrDefault("via", "") + name)));
                return next.append(stamped).whenComplete((positions, failure) -> log.add(name + " after "
                        + (failure == null ? positions.size() + " stored" : "failed")));
            }
        };
    }

    @Test
    @DisplayName("interceptors run in the order added, the first outermost, for single and batch appends")
    void interceptorsRunInOrderAndChangeMessages() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        try (Streamable streamable = Streamable.builder().url("memory:")
                .interceptor(stamping("a", log)).interceptor(stamping("b", log)).build()) {
            streamable.producer(GREETINGS).appendAndWait("phil", new Greeting("phil"));
            streamable.producer(GREETINGS).appendAllAndWait(List.of(OutgoingMessage.of("ann", new Greeting("ann")),
                    OutgoingMessage.of("bob", new Greeting("bob"))));
            assertThat(log).containsExactly("a before 1", "b before 1", "b after 1 stored", "a after 1 stored",
                    "a before 2", "b before 2", "b after 2 stored", "a after 2 stored");
            try (TopicReader reader = streamable.backend().topic("greetings")
                    .openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                List<StoredRecord> records = reader.read(10, Duration.ofSeconds(5)).records();
                assertThat(records).hasSize(3).allSatisfy(record -> assertThat(record.headers()).containsEntry("via", "ab"));
            }
        }
    }
}
