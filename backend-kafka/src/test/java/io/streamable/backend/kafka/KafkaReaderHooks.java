package io.streamable.backend.kafka;

import io.streamable.backend.TopicReader;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.CloseOptions;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * What the tests do to a reader that the API cannot: make it act like a crashed or a paused
 * process. Kept here rather than in {@link KafkaTopicReader}, which only lends its consumer and
 * client id.
 */
final class KafkaReaderHooks {
    private KafkaReaderHooks() {
    }

    /**
     * Stops the reader's consumer like a crashed process: no LeaveGroup, so the name stays held
     * until the session expires.
     */
    static void crash(TopicReader reader) {
        ((KafkaTopicReader) reader).consumer().close(CloseOptions
                .groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(Duration.ZERO));
    }

    /**
     * Has the reader's consumer rejoin its group at its next poll, as it does when its heartbeat
     * learns that another member joined or left; unlike that, it does not depend on when the next
     * heartbeat happens. Call it from the reader's only caller (a KafkaConsumer is single-threaded).
     */
    static void requestRebalance(TopicReader reader) {
        ((KafkaTopicReader) reader).consumer().enforceRebalance("test: a member of the group joined or left");
    }

    /**
     * Treats the reader as a paused process: the calling test is the reader's only caller and stops
     * calling it, so it no longer polls; once {@code max.poll.interval.ms} (short in the test URLs
     * that use this) has passed, Kafka's own liveness check, the consumer's heartbeat thread, makes
     * it leave the group. Returns once the broker no longer lists it as a member, so a successor
     * can take the name over; the reader itself learns of it only when it is called again.
     */
    static void suspend(TopicReader reader, Duration within) {
        KafkaTopicReader kafkaReader = (KafkaTopicReader) reader;
        String clientId = kafkaReader.clientId();
        String group = clientId.split("~")[2];
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", EmbeddedKafka.shared().bootstrapServers()))) {
            await().atMost(within).pollInterval(Duration.ofMillis(200)).until(() -> {
                List<MemberDescription> members = List.copyOf(admin.describeConsumerGroups(List.of(group)).all()
                        .get(10, TimeUnit.SECONDS).get(group).members());
                return members.stream().noneMatch(member -> member.clientId().equals(clientId));
            });
        }
    }
}
