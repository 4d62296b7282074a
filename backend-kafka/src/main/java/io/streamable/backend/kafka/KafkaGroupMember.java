package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.RebalanceListener;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A member of a Kafka consumer group: a {@link KafkaTopicReader} subscribed with the cooperative
 * sticky assignor, whose slots are its partitions of the topic. The reader does the work (its
 * rebalance callbacks run the {@link RebalanceListener}); this class adds what tools ask of a member.
 */
final class KafkaGroupMember extends KafkaTopicReader implements GroupMemberReader {
    private final KafkaBackend backend;
    private final String topic;

    KafkaGroupMember(KafkaBackend backend, String topic, String consumerName, String clientId,
                     Map<TopicPartition, Long> startOffsets, Map<TopicPartition, Long> committed,
                     RebalanceListener listener, int slotCount) {
        super(backend, topic, Optional.of(consumerName), clientId, startOffsets, committed, Optional.empty(), listener,
                slotCount);
        this.backend = backend;
        this.topic = topic;
    }

    /** The client id: unique over time (it holds the opening time, a counter and a random part), and what the group lists. */
    @Override
    public String memberId() {
        return clientId();
    }

    @Override
    public int slotCount() {
        return super.slotCount();
    }

    @Override
    public Set<Integer> slots() {
        return super.slots();
    }

    /** Asks the cluster (any thread may call it): end offsets and the group's committed offsets of the owned partitions. */
    @Override
    public long lag(Optional<Position> handled) {
        Set<Integer> owned = slots();
        if (owned.isEmpty()) {
            return 0;
        }
        KafkaTopicStore store = (KafkaTopicStore) backend.topic(topic);
        Map<TopicPartition, Long> end = store.offsets(OffsetSpec.latest());
        Map<TopicPartition, Long> committed = store.committedOffsets(groupName());
        Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
        long lag = 0;
        for (int slot : owned) {
            TopicPartition partition = new TopicPartition(topic, slot);
            // offsets retention removed are not to be read: count from the log start at least
            long logStart = earliest.getOrDefault(partition, 0L);
            long next = Math.max(logStart, committed.getOrDefault(partition, logStart));
            OptionalLong done = handled.isPresent() ? handled.get().offset(slot) : OptionalLong.empty();
            if (done.isPresent()) {
                next = Math.max(next, done.getAsLong() + 1);
            }
            lag += Math.max(0, end.getOrDefault(partition, 0L) - next);
        }
        return lag;
    }
}
