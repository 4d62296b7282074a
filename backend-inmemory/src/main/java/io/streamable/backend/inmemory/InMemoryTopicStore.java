package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import io.streamable.backend.AppendRecord;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.GroupMemberReader;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.consume.StartFrom;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A connection's view of one in-memory topic. Named consumers are consumer groups
 * ({@link ConsumerGroups}): a slot table per name in the JVM, with the connection's slot count
 * and debounce (URL options {@code slots} and {@code rebalanceDelay}).
 */
final class InMemoryTopicStore implements TopicStore, ConsumerGroups {
    private final InMemoryTopic topic;
    private final InMemoryBackend connection;

    InMemoryTopicStore(InMemoryTopic topic, InMemoryBackend connection) {
        this.topic = topic;
        this.connection = connection;
    }

    @Override
    public String name() {
        return topic.name();
    }

    @Override
    public CompletableFuture<List<Position>> append(List<AppendRecord> records) {
        connection.ensureOpen();
        return CompletableFuture.completedFuture(topic.append(records));
    }

    @Override
    public TopicReader openReader(ReaderSpec spec) {
        connection.ensureOpen();
        Optional<Position> requested = requestedStart(spec.start());
        if (spec.consumerName().isEmpty()) {
            InMemoryReader reader = new InMemoryReader(topic, connection, requested);
            connection.opened(reader);
            return reader;
        }
        String name = spec.consumerName().get();
        InMemoryGroup.Member member = topic.acquire(name, connection.leaseTtl().toNanos(), connection.groupOptions(),
                requested);
        return opened(new InMemoryReader(topic, connection, spec.consumerName(), member, null));
    }

    @Override
    public GroupMemberReader joinGroup(ReaderSpec spec, RebalanceListener listener) {
        connection.ensureOpen();
        Objects.requireNonNull(listener, "listener");
        String name = spec.consumerName().orElseThrow(() -> new IllegalArgumentException("joinGroup needs a named"
                + " ReaderSpec (ReaderSpec.named): a consumer group is a consumer name"));
        Optional<Position> requested = requestedStart(spec.start());
        InMemoryGroup.Member member = topic.joinGroup(name, connection.leaseTtl().toNanos(), connection.groupOptions(),
                requested);
        return opened(new InMemoryGroupReader(topic, connection, name, member, topic.group(name).slotCount(), listener));
    }

    private <R extends InMemoryReader> R opened(R reader) {
        try {
            connection.opened(reader);
            return reader;
        } catch (RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    @Override
    public Optional<GroupDescription> describeGroup(String consumerName) {
        connection.ensureOpen();
        return topic.describe(consumerName);
    }

    /** The position a reader starts after; empty for the beginning. The framework has resolved latest already. */
    private static Optional<Position> requestedStart(StartFrom start) {
        if (start instanceof StartFrom.After after) {
            Position position = after.position();
            if (!position.isSingleLog()) {
                throw new IllegalArgumentException("Position " + position + " spans partitions, but in-memory topics"
                        + " have one log: pass a position read from this backend, such as \"42\"");
            }
            return Optional.of(position);
        }
        return Optional.empty();
    }

    @Override
    public Optional<Position> head() {
        connection.ensureOpen();
        long size = topic.size();
        return size == 0 ? Optional.empty() : Optional.of(Position.of(size - 1));
    }

    @Override
    public Optional<Position> savedPosition(String consumerName) {
        return topic.savedPosition(consumerName);
    }

    @Override
    public Set<String> consumerNames() {
        return topic.consumerNames();
    }

    @Override
    public long lag(Optional<Position> position) {
        return topic.countAfter(position.map(Position::offset).orElse(-1L));
    }

    @Override
    public void resetPosition(String consumerName, Optional<Position> position) {
        connection.ensureOpen();
        position.ifPresent(p -> requestedStart(StartFrom.after(p)));
        topic.setOffline(consumerName, position, false, connection.groupOptions());
    }

    @Override
    public Retention retention() {
        return topic.retention();
    }

    @Override
    public void setRetention(Retention retention) {
        connection.ensureOpen();
        topic.exist();
        topic.setRetention(Objects.requireNonNull(retention, "retention"));
    }

    @Override
    public void enforceRetention() {
        topic.enforceRetention();
    }

    @Override
    public Optional<Position> positionBefore(Instant instant) {
        connection.ensureOpen();
        return topic.positionBefore(instant);
    }

    @Override
    public TopicDescription describeTopic() {
        connection.ensureOpen();
        return topic.describe();
    }

    @Override
    public void deleteConsumer(String consumerName) {
        connection.ensureOpen();
        topic.setOffline(consumerName, Optional.empty(), true, connection.groupOptions());
    }
}
