package io.streamable.backend.kafka;

import io.streamable.client.Streamable;

import java.util.UUID;

/** Connection settings shared by this module's tests: the shared broker, 4 partitions, short sessions, quick compaction. */
final class KafkaTestSupport {
    static final int PARTITIONS = 4;
    /**
     * Segments of test topics roll after this long (on the next append: Kafka never cleans the
     * active segment), and any dirty segment is cleaned, so compaction shows within seconds.
     */
    static final long SEGMENT_MS = 500;

    private KafkaTestSupport() {
    }

    /** The backend URL of the shared test broker, with more options appended ({@code "a=1&b=2"}). */
    static String url(String moreOptions) {
        EmbeddedKafka.Target target = EmbeddedKafka.shared();
        // the embedded broker allows 1 s sessions, but on a loaded machine heartbeats may starve for seconds;
        // a default cluster's minimum is 6 s
        String session = "6000";
        String options = "partitions=" + PARTITIONS + "&kafka.session.timeout.ms=" + session
                + "&topic.segment.ms=" + SEGMENT_MS + "&topic.min.cleanable.dirty.ratio=0.01"
                + (moreOptions.isEmpty() ? "" : "&" + moreOptions);
        return target.url(options);
    }

    static Streamable open() {
        return Streamable.open(url(""));
    }

    /** A topic name no other test uses, also across runs against an external cluster. */
    static String uniqueTopic(String purpose) {
        return purpose + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
