package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader whose fetch position falls below a partition's log start after it opened (issue 17):
 * with {@code auto.offset.reset=none} it reports the gap and goes on at the log start, instead of
 * the client resetting it silently or failing every read.
 */
class KafkaRetentionWhileReadingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    @DisplayName("a reader below the log start after it opened reports the gap once and reads everything kept")
    void fallsBelowLogStartWhileOpen() throws Exception {
        String name = KafkaTestSupport.uniqueTopic("retention-running");
        try (Streamable streamable = KafkaTestSupport.open()) {
            TopicStore store = streamable.backend().topic(name);
            // deleteRecords needs cleanup.policy delete, which a retention gives the topic
            streamable.configureTopic(name, Retention.maxAge(Duration.ofDays(1)));
            List<Position> appended = store.append(IntStream.rangeClosed(1, 10).mapToObj(seq -> new AppendRecord("k",
                    Optional.empty(), Map.of(), ("" + seq).getBytes())).toList()).get(30, TimeUnit.SECONDS);
            int partition = appended.get(0).offsets().firstKey();
            // opened at offset 0, the log start then: nothing to report yet. It has not polled, so nothing is
            // fetched before the removal below
            try (TopicReader reader = store.openReader(ReaderSpec.anonymous(StartFrom.beginning()))) {
                assertThat(reader.takeRetentionGaps()).isEmpty();
                KafkaBackend backend = (KafkaBackend) streamable.backend();
                backend.admin().deleteRecords(Map.of(new TopicPartition(name, partition), RecordsToDelete.beforeOffset(7)))
                        .all().get(30, TimeUnit.SECONDS);

                List<RetentionGap> gaps = new ArrayList<>();
                List<String> payloads = new ArrayList<>();
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                boolean caughtUp = false;
                while (!(caughtUp && payloads.size() >= 3) && System.nanoTime() < deadline) {
                    ReadBatch batch = reader.read(10, Duration.ofMillis(500));
                    gaps.addAll(reader.takeRetentionGaps());
                    batch.records().stream().map(StoredRecord::payload).map(String::new).forEach(payloads::add);
                    caughtUp = batch.caughtUp();
                }

                assertThat(payloads).as("every message kept, from the log start").containsExactly("8", "9", "10");
                assertThat(gaps).as("one gap, reported once").containsExactly(new RetentionGap(name, partition, 0, 7));
                assertThat(gaps.get(0).removedUnread()).isEqualTo(7);
            }
        }
    }
}
