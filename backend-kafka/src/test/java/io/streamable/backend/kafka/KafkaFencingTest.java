package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.StartFrom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Ownership of a consumer name on Kafka is the membership of the group's current generation. A
 * holder that stops polling (paused by GC or SIGSTOP, or stuck in a handler) past
 * {@code max.poll.interval.ms} is expired by the group; once a successor has the name, the old
 * holder must deliver nothing more, and its commits must never be applied.
 */
class KafkaFencingTest {
    /** Short liveness, so a paused holder is expired within seconds. */
    private static final String URL_OPTIONS = "kafka.max.poll.interval.ms=3000";
    private static final Duration EXPIRY = Duration.ofSeconds(30);

    @Test
    @DisplayName("a paused holder wakes after a take-over: its next read hands out none of its buffered records, its commit is refused")
    void pausedHolderReadsFirst() throws Exception {
        try (Streamable streamable = Streamable.open(KafkaTestSupport.url(URL_OPTIONS))) {
            TopicStore store = streamable.backend().topic(KafkaTestSupport.uniqueTopic("fenced-read"));
            List<Position> appended = appendOneKey(store, 6);
            TopicReader holder = store.openReader(ReaderSpec.named("owner", StartFrom.beginning()));
            // one record handed out, the others polled with it and buffered
            List<StoredRecord> first = readAtLeast(holder, 1, 1);
            holder.commit(first.get(0).position());

            KafkaReaderHooks.suspend(holder, EXPIRY);
            TopicReader successor = store.openReader(ReaderSpec.named("owner", StartFrom.beginning()));
            assertThat(successor.startPosition()).contains(appended.get(0));

            assertThatThrownBy(() -> holder.read(10, Duration.ofSeconds(1)))
                    .isInstanceOf(ConsumerFencedException.class).hasMessageContaining("owner");
            assertThatThrownBy(() -> holder.commit(appended.get(5)))
                    .isInstanceOf(ConsumerFencedException.class);
            assertThatThrownBy(() -> holder.read(10, Duration.ZERO)).as("fenced for good")
                    .isInstanceOf(ConsumerFencedException.class);
            assertThat(store.savedPosition("owner")).contains(appended.get(0));
            holder.close();

            // the successor owns the name: it reads the rest and its commits are saved
            List<StoredRecord> rest = readAtLeast(successor, 5, 10);
            assertThat(rest).extracting(StoredRecord::position).containsExactlyElementsOf(appended.subList(1, 6));
            successor.commit(appended.get(5));
            assertThat(store.savedPosition("owner")).contains(appended.get(5));
            successor.close();
        }
    }

    @Test
    @DisplayName("a paused holder whose first call after the take-over is a commit: refused, nothing saved, and it reads nothing more")
    void pausedHolderCommitsFirst() throws Exception {
        try (Streamable streamable = Streamable.open(KafkaTestSupport.url(URL_OPTIONS))) {
            TopicStore store = streamable.backend().topic(KafkaTestSupport.uniqueTopic("fenced-commit"));
            List<Position> appended = appendOneKey(store, 4);
            TopicReader holder = store.openReader(ReaderSpec.named("owner", StartFrom.beginning()));
            readAtLeast(holder, 4, 10);

            KafkaReaderHooks.suspend(holder, EXPIRY);
            TopicReader successor = store.openReader(ReaderSpec.named("owner", StartFrom.beginning()));
            assertThat(successor.startPosition()).as("the holder never saved anything").isEmpty();

            assertThatThrownBy(() -> holder.commit(appended.get(3))).isInstanceOf(ConsumerFencedException.class);
            assertThat(store.savedPosition("owner")).isEmpty();
            assertThatThrownBy(() -> holder.read(10, Duration.ofSeconds(1))).isInstanceOf(ConsumerFencedException.class);
            holder.close();
            assertThat(readAtLeast(successor, 4, 10)).extracting(StoredRecord::position).containsExactlyElementsOf(appended);
            successor.close();
        }
    }

    private static List<Position> appendOneKey(TopicStore store, int count) throws Exception {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new AppendRecord("key", Optional.empty(), Map.of(), ("\"" + i + "\"").getBytes(StandardCharsets.UTF_8)));
        }
        return store.append(records).get(30, TimeUnit.SECONDS);
    }

    private static List<StoredRecord> readAtLeast(TopicReader reader, int count, int max) throws InterruptedException {
        List<StoredRecord> records = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (records.size() < count && System.nanoTime() < deadline) {
            ReadBatch batch = reader.read(Math.min(max, count - records.size()), Duration.ofMillis(500));
            records.addAll(batch.records());
        }
        assertThat(records).hasSize(count);
        return records;
    }
}
