package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.RebalanceListener;

import java.util.Optional;
import java.util.Set;

/** A member of an in-memory consumer group: an {@link InMemoryReader} that reads its share of the slots. */
final class InMemoryGroupReader extends InMemoryReader implements GroupMemberReader {
    private final int slotCount;

    InMemoryGroupReader(InMemoryTopic topic, InMemoryBackend connection, String consumerName,
                        InMemoryGroup.Member member, int slotCount, RebalanceListener listener) {
        super(topic, connection, Optional.of(consumerName), member, listener);
        this.slotCount = slotCount;
    }

    @Override
    public String memberId() {
        return member().id();
    }

    @Override
    public int slotCount() {
        return slotCount;
    }

    @Override
    public Set<Integer> slots() {
        return member().snapshot;
    }

    @Override
    public long lag(Optional<Position> handled) {
        return topic().lagOf(consumerName(), member(), handled.map(Position::offset).orElse(-1L));
    }
}
