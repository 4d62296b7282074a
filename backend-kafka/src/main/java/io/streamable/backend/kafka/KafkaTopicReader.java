package io.streamable.backend.kafka;

import io.streamable.Position;
import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.backend.ReadBatch;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.Rebalance;
import io.streamable.backend.RebalanceListener;
import io.streamable.backend.StoredRecord;
import io.streamable.backend.TopicReader;
import io.streamable.consume.ConsumerFencedException;
import io.streamable.consume.ConsumerNameInUseException;
import io.streamable.consume.RetentionGap;
import io.streamable.consume.StartFrom;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads one topic with one {@link KafkaConsumer}.
 *
 * <p>An anonymous reader assigns itself every partition. A named reader joins the consumer group
 * named after the consumer (classic protocol), and that membership is the name's lease: it is
 * refused while another reader of the same topic is a live member, and a crashed holder's
 * membership expires after {@code session.timeout.ms}. The reader always seeks every partition
 * itself, to the group's committed offset, or to the concrete start the framework resolved (saved
 * as the group's offsets before {@link #open} returns, so a reader killed before its first commit
 * resumes there), and after a rebalance back to what it has handed out, so a rebalance never
 * re-delivers within one reader.
 *
 * <p>Ownership is the membership of the current group generation. Losing it
 * ({@link #onPartitionsLost}: the session expired, or {@code max.poll.interval.ms} passed without a
 * poll) fences the reader for good: it does not rejoin, {@link #read} and {@link #commit} throw
 * {@link ConsumerFencedException}, and the broker refuses its commits anyway (they carry the old
 * generation). A rebalance that merely revokes and reassigns partitions (another topic's reader with
 * the same name joining) is not a loss of ownership. A commit that meets one completes it with a
 * poll and commits again, within the backend timeout, so a close during a rebalance still saves
 * its position; if the rebalance gave a partition being saved to another member, that is a fencing.
 *
 * <p>A consumer group member ({@link #join}, a {@link KafkaGroupMember}) shares the group with other
 * members of the topic under the cooperative sticky assignor: its revocation callback is the
 * {@link RebalanceListener}'s barrier, added partitions start at their committed offsets, its commits
 * cover only its partitions and never poll, and it never seeks back to what it handed out.
 */
class KafkaTopicReader implements TopicReader, ConsumerRebalanceListener {
    /** Client ids of exclusive readers start with this, then the topic, so the lease check can find them. */
    static final String CLIENT_ID_PREFIX = "streamable~";
    /** Client ids of consumer group members ({@link KafkaGroupMember}) start with this, then the topic. */
    static final String MEMBER_CLIENT_ID_PREFIX = "streamable-member~";
    /**
     * How long a member that shares its topic with other members keeps its membership after its final
     * save before leaving: a replacement that joins meanwhile (a rolling restart) is then part of the
     * same rebalance, so only the leaver's partitions move, once.
     */
    static final Duration LEAVE_DEBOUNCE = Duration.ofMillis(300);
    private static final Logger LOG = LoggerFactory.getLogger(KafkaTopicReader.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration HEAD_CHECK_TIMEOUT = Duration.ofSeconds(5);
    private static final int OPEN_ATTEMPTS = 3;
    /** How long one poll that completes a rebalance during a commit may wait; the commit is tried again after it. */
    private static final Duration REBALANCE_POLL = Duration.ofMillis(100);
    /** The longest a member's read polls at once before it looks whether its slots changed: Kafka's default fetch.max.wait.ms. */
    private static final long POLL_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final KafkaBackend backend;
    private final String topic;
    private final Optional<String> group;
    private final String clientId;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private Optional<Position> startPosition;
    /** A consumer group member's barrier; null for an exclusive or anonymous reader. */
    private final RebalanceListener listener;
    /** The topic's partition count: a member's slot count. */
    private final int slotCount;
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    // touched by the reading thread only (the rebalance listener runs inside its poll)
    private final Map<TopicPartition, Long> startOffsets;
    /** Positions retention removed before this reader read them, found when it opened; taken by the reading thread. */
    private final List<RetentionGap> gaps = new ArrayList<>(0);
    private final Map<TopicPartition, Long> next;
    private final Map<TopicPartition, Long> committed;
    private final ArrayDeque<ConsumerRecord<byte[], byte[]>> buffer = new ArrayDeque<>();
    /** When the reading thread last polled; a longer gap than a session means ownership must be confirmed. */
    private long lastPollNanos = System.nanoTime();
    /** Why this reader lost its name, once it has; never cleared. */
    private volatile String fenced;
    /** False until {@link #open} hands the reader out: a membership lost before that is not a fencing. */
    private boolean opened;
    private boolean lostWhileOpening;
    /**
     * False from a revocation until the next assignment: during an eager rebalance the assignment
     * is empty, which says nothing about which partitions the rebalance gives this reader.
     */
    private boolean assignmentSettled;

    // consumer group members only
    /** The partitions of this topic the member owns, for any thread. */
    private volatile Set<Integer> slots = Set.of();
    /** True while the listener runs, inside the consumer's poll: a commit then must not wait for a rebalance. */
    private boolean inListener;
    /** What the listener threw, rethrown by the read whose poll ran it. */
    private RuntimeException listenerFailure;
    /** Offsets a commit could not send because the group was rebalancing: sent after the next poll, or on close. */
    private final Map<TopicPartition, Long> deferred = new HashMap<>();
    /** Set when the member joined beside others: its first assignment checks no exclusive reader holds the name. */
    private boolean exclusiveCheckPending;

    KafkaTopicReader(KafkaBackend backend, String topic, Optional<String> group, String clientId,
                     Map<TopicPartition, Long> startOffsets, Map<TopicPartition, Long> committed,
                     Optional<Position> startPosition, RebalanceListener listener, int slotCount) {
        this.backend = backend;
        this.topic = topic;
        this.group = group;
        this.clientId = clientId;
        this.startOffsets = Map.copyOf(startOffsets);
        this.next = new HashMap<>(startOffsets);
        this.committed = new HashMap<>(committed);
        this.startPosition = startPosition;
        this.listener = listener;
        this.slotCount = slotCount;
        this.consumer = backend.newConsumer(clientId, group, listener != null);
    }

    private boolean member() {
        return listener != null;
    }

    static KafkaTopicReader open(KafkaBackend backend, KafkaTopicStore store, ReaderSpec spec) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tryOpen(backend, store, spec);
            } catch (MembershipLostWhileOpening e) {
                // nothing was delivered yet, so opening again from the start (name check included) is safe
                if (attempt == OPEN_ATTEMPTS) {
                    throw new BackendUnavailableException("Consumer \"" + spec.consumerName().orElse("") + "\" lost its"
                            + " Kafka group membership " + OPEN_ATTEMPTS + " times while opening on topic \""
                            + store.name() + "\": its heartbeats did not reach the broker within session.timeout.ms ("
                            + backend.sessionTimeout().toMillis() + " ms). Check the load of this machine and the brokers,"
                            + " or raise kafka.session.timeout.ms.", null);
                }
                LOG.info("Consumer \"{}\" lost its group membership while opening on topic \"{}\"; opening again",
                        spec.consumerName().orElse(""), store.name());
            }
        }
    }

    private static KafkaTopicReader tryOpen(KafkaBackend backend, KafkaTopicStore store, ReaderSpec spec) {
        String topic = store.name();
        String clientId = CLIENT_ID_PREFIX + topic + "~" + spec.consumerName().orElse("") + "~"
                + System.currentTimeMillis() + "~" + backend.nextClientNumber() + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        if (spec.consumerName().isEmpty()) {
            Start start = start(store, spec.start());
            KafkaTopicReader reader = new KafkaTopicReader(backend, topic, Optional.empty(), clientId, start.offsets,
                    Map.of(), start.position, null, store.partitionCount());
            reader.gaps.addAll(start.gaps);
            try {
                reader.consumer.assign(store.topicPartitions());
                start.offsets.forEach(reader.consumer::seek);
            } catch (RuntimeException e) {
                reader.close();
                throw backend.failure("Opening a reader of Kafka topic \"" + topic + "\"", e);
            }
            backend.track(reader);
            return reader;
        }
        String name = spec.consumerName().get();
        awaitNameFree(backend, topic, name);
        Map<TopicPartition, Long> saved = store.committedOffsets(name);
        Start start;
        boolean firstUse = saved.isEmpty();
        if (firstUse) {
            start = start(store, spec.start());
        } else {
            // resume: committed partitions at their offset, partitions added since then from their beginning
            Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
            Map<TopicPartition, Long> offsets = new HashMap<>(earliest);
            offsets.putAll(saved);
            List<RetentionGap> gaps = new ArrayList<>(0);
            clampToLogStart(topic, offsets, earliest, gaps);
            start = new Start(offsets, KafkaTopicStore.consumedPosition(saved), gaps);
        }
        KafkaTopicReader reader = new KafkaTopicReader(backend, topic, Optional.of(name), clientId, start.offsets,
                saved, start.position, null, store.partitionCount());
        reader.gaps.addAll(start.gaps);
        try {
            reader.consumer.subscribe(List.of(topic), reader);
            reader.join();
            reader.refuseIfYoungerHolder();
            if (firstUse) {
                reader.saveStart();
            }
        } catch (RuntimeException e) {
            reader.close();
            throw reader.lostWhileOpening ? new MembershipLostWhileOpening() : e;
        }
        reader.opened = true;
        backend.track(reader);
        LOG.debug("Reader {} of topic \"{}\" joined group \"{}\", starting after {}", clientId, topic, name,
                start.position.map(Position::encode).orElse("nothing"));
        return reader;
    }

    /**
     * Joins the consumer group of {@code spec}'s name on the store's topic ({@link KafkaTopicStore#joinGroup}).
     * Alone on the topic, the member joins before it returns and owns every partition, exactly like
     * an exclusive reader (same start, saved at first use); beside live members it returns at once
     * and takes its share in the rebalances its reads run.
     */
    static KafkaGroupMember join(KafkaBackend backend, KafkaTopicStore store, ReaderSpec spec, RebalanceListener listener) {
        String name = spec.consumerName().orElseThrow(() -> new IllegalArgumentException("Only a named reader joins a"
                + " consumer group (topic \"" + store.name() + "\"): give the ReaderSpec a consumer name"));
        java.util.Objects.requireNonNull(listener, "listener");
        for (int attempt = 1; ; attempt++) {
            try {
                return tryJoin(backend, store, spec, name, listener);
            } catch (MembershipLostWhileOpening e) {
                if (attempt == OPEN_ATTEMPTS) {
                    throw new BackendUnavailableException("Consumer \"" + name + "\" lost its Kafka group membership "
                            + OPEN_ATTEMPTS + " times while joining on topic \"" + store.name() + "\": its heartbeats did"
                            + " not reach the broker within session.timeout.ms (" + backend.sessionTimeout().toMillis()
                            + " ms). Check the load of this machine and the brokers, or raise kafka.session.timeout.ms.", null);
                }
                LOG.info("Consumer \"{}\" lost its group membership while joining on topic \"{}\"; joining again", name,
                        store.name());
            }
        }
    }

    private static KafkaGroupMember tryJoin(KafkaBackend backend, KafkaTopicStore store, ReaderSpec spec, String name,
                                            RebalanceListener listener) {
        String topic = store.name();
        String clientId = MEMBER_CLIENT_ID_PREFIX + topic + "~" + name + "~" + System.currentTimeMillis() + "~"
                + backend.nextClientNumber() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000));
        List<MemberDescription> others = awaitNoExclusiveHolder(backend, topic, name);
        Map<TopicPartition, Long> saved = store.committedOffsets(name);
        boolean firstUse = saved.isEmpty();
        Start start;
        if (firstUse) {
            start = start(store, spec.start());
        } else {
            // partitions without a committed offset (added since) start at their beginning; committed
            // offsets below the log start resume at the log start, with the gap reported
            Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
            Map<TopicPartition, Long> offsets = new HashMap<>(earliest);
            offsets.putAll(saved);
            List<RetentionGap> gaps = new ArrayList<>(0);
            clampToLogStart(topic, offsets, earliest, gaps);
            start = new Start(offsets, KafkaTopicStore.consumedPosition(saved), gaps);
        }
        KafkaGroupMember member = new KafkaGroupMember(backend, topic, name, clientId, start.offsets, saved, listener,
                store.partitionCount());
        KafkaTopicReader reader = member; // this class's private state, through its own type
        try {
            reader.consumer.subscribe(List.of(topic), member);
            if (others.isEmpty()) {
                reader.join();
                reader.refuseIfOlderExclusiveHolder();
                if (firstUse) {
                    reader.saveStart();
                }
                Set<TopicPartition> owned = reader.ownedPartitions();
                start.gaps.stream().filter(gap -> owned.contains(new TopicPartition(topic, gap.partition())))
                        .forEach(reader.gaps::add);
                reader.startPosition = owned.size() == store.partitionCount() ? start.position
                        : KafkaTopicStore.consumedPosition(restrict(start.offsets, owned));
            } else {
                reader.startPosition = Optional.empty(); // owns nothing yet
                reader.exclusiveCheckPending = true;
            }
        } catch (RuntimeException e) {
            reader.close();
            throw reader.lostWhileOpening ? new MembershipLostWhileOpening() : e;
        }
        reader.opened = true;
        backend.track(member);
        LOG.debug("Member {} of topic \"{}\" joined group \"{}\" {}", clientId, topic, name,
                others.isEmpty() ? "alone, owning " + reader.slots() : "beside " + others.size() + " other member(s)");
        return member;
    }

    private static Map<TopicPartition, Long> restrict(Map<TopicPartition, Long> offsets, Set<TopicPartition> partitions) {
        Map<TopicPartition, Long> restricted = new HashMap<>(offsets);
        restricted.keySet().retainAll(partitions);
        return restricted;
    }

    /**
     * Waits while an exclusive reader ({@link TopicStore#openReader}) holds the name on this topic, at
     * most a session timeout (a crashed one's membership expires by then), and returns the group's
     * live members on the topic, which the new member shares the work with.
     */
    private static List<MemberDescription> awaitNoExclusiveHolder(KafkaBackend backend, String topic, String name) {
        Duration wait = backend.sessionTimeout().plusSeconds(2);
        long deadline = System.nanoTime() + wait.toNanos();
        boolean logged = false;
        while (true) {
            List<MemberDescription> holders = holders(backend, topic, name, null);
            List<String> exclusive = holders.stream().map(MemberDescription::clientId)
                    .filter(id -> id.startsWith(CLIENT_ID_PREFIX)).toList();
            if (exclusive.isEmpty()) {
                return holders;
            }
            if (System.nanoTime() > deadline) {
                throw new ConsumerNameInUseException(topic, name);
            }
            if (!logged) {
                LOG.info("Consumer name \"{}\" on topic \"{}\" is held by the exclusive reader {}; waiting up to {} in"
                        + " case it crashed and its session is about to expire", name, topic, exclusive, wait);
                logged = true;
            }
            try {
                Thread.sleep(250); // polling the group's membership: Kafka has no notification for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamableException("Interrupted while waiting for consumer name \"" + name + "\"", e);
            }
        }
    }

    /**
     * An exclusive reader and a member that checked the name at the same moment both joined: the
     * younger one gives way, as between two exclusive readers.
     */
    private void refuseIfOlderExclusiveHolder() {
        if (olderExclusiveHolder()) {
            throw new ConsumerNameInUseException(topic, group.orElseThrow());
        }
    }

    private boolean olderExclusiveHolder() {
        Comparator<String> byAge = Comparator.comparing(KafkaTopicReader::openedAt).thenComparing(Comparator.naturalOrder());
        return holders(backend, topic, group.orElseThrow(), clientId).stream().map(MemberDescription::clientId)
                .filter(id -> id.startsWith(CLIENT_ID_PREFIX)).anyMatch(id -> byAge.compare(id, clientId) < 0);
    }

    /** Where a reader starts: the next offset per partition, and the position it starts after. */
    private record Start(Map<TopicPartition, Long> offsets, Optional<Position> position, List<RetentionGap> gaps) {
    }

    /**
     * Where offsets below a partition's log start are asked for, retention removed them: start at
     * the log start instead and note the gap, which the reader reports once ({@link #takeRetentionGaps()}).
     */
    private static void clampToLogStart(String topic, Map<TopicPartition, Long> offsets, Map<TopicPartition, Long> earliest,
                                        List<RetentionGap> gaps) {
        offsets.replaceAll((partition, offset) -> {
            long logStart = earliest.getOrDefault(partition, 0L);
            if (offset < logStart) {
                gaps.add(new RetentionGap(topic, partition.partition(), offset, logStart));
                return logStart;
            }
            return offset;
        });
    }

    /**
     * The offsets of a concrete start: the framework resolved {@code latest} and clamped positions
     * beyond the head before this reader was asked to open ({@link ReaderSpec#start()}).
     */
    private static Start start(KafkaTopicStore store, StartFrom from) {
        Map<TopicPartition, Long> earliest = store.offsets(OffsetSpec.earliest());
        if (from instanceof StartFrom.After after) {
            Position position = after.position();
            for (int partition : position.offsets().keySet()) {
                if (partition >= store.partitionCount()) {
                    throw new IllegalArgumentException("Position " + position.encode() + " names partition " + partition
                            + ", but Kafka topic \"" + store.name() + "\" has " + store.partitionCount()
                            + " partition(s) (0-" + (store.partitionCount() - 1) + "). Start after a position read from"
                            + " this topic.");
                }
            }
            Map<TopicPartition, Long> offsets = new HashMap<>(earliest);
            position.offsets().forEach((partition, offset) ->
                    offsets.put(new TopicPartition(store.name(), partition), offset + 1));
            // records below the earliest offset were removed by retention: start at what is left, and say so
            List<RetentionGap> gaps = new ArrayList<>(0);
            clampToLogStart(store.name(), offsets, earliest, gaps);
            return new Start(offsets, Optional.of(position), gaps);
        }
        return new Start(earliest, Optional.empty(), List.of());
    }

    /**
     * Saves the start of a name used for the first time as the group's offsets, before the reader
     * is handed out: a reader killed before its first commit then resumes here, not at a start
     * resolved again later ({@code latest} would have moved past what was appended meanwhile).
     */
    private void saveStart() {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        startOffsets.forEach((partition, offset) -> offsets.put(partition, new OffsetAndMetadata(offset)));
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        while (true) {
            try {
                consumer.commitSync(offsets, backend.timeout());
                break;
            } catch (RebalanceInProgressException e) {
                // a reader of another topic with this name joined meanwhile: finish the rebalance, then save
                if (System.nanoTime() > deadline) {
                    throw new BackendUnavailableException("Saving the start of consumer \"" + group.orElseThrow()
                            + "\" on topic \"" + topic + "\" failed: its Kafka group kept rebalancing for "
                            + backend.timeout() + ". Try again.", e);
                }
                poll(Duration.ofMillis(100)).forEach(buffer::add);
                lastPollNanos = System.nanoTime();
            } catch (CommitFailedException | UnknownMemberIdException | IllegalGenerationException e) {
                lostWhileOpening = true; // expired before it started: open again
                throw e;
            } catch (FencedInstanceIdException e) {
                throw new ConsumerNameInUseException(topic, group.orElseThrow());
            } catch (KafkaException e) {
                throw backend.failure("Saving the start of consumer \"" + group.orElseThrow() + "\" on Kafka topic \""
                        + topic + "\"", e);
            }
        }
        offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
    }

    /**
     * Waits while other live readers hold the name on this topic, at most a session timeout: a
     * crashed holder's membership expires by then, a live one's does not.
     */
    private static void awaitNameFree(KafkaBackend backend, String topic, String name) {
        Duration wait = backend.sessionTimeout().plusSeconds(2);
        long deadline = System.nanoTime() + wait.toNanos();
        boolean logged = false;
        while (true) {
            List<MemberDescription> holders = holders(backend, topic, name, null);
            if (holders.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ConsumerNameInUseException(topic, name);
            }
            if (!logged) {
                LOG.info("Consumer name \"{}\" on topic \"{}\" is held by {}; waiting up to {} in case the holder"
                        + " crashed and its session is about to expire", name, topic,
                        holders.stream().map(MemberDescription::clientId).toList(), wait);
                logged = true;
            }
            try {
                Thread.sleep(250); // polling the group's membership: Kafka has no notification for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamableException("Interrupted while waiting for consumer name \"" + name + "\"", e);
            }
        }
    }

    /** Live group members reading {@code topic}, other than {@code exceptClientId}. */
    static List<MemberDescription> holders(KafkaBackend backend, String topic, String group,
                                                   String exceptClientId) {
        ConsumerGroupDescription description;
        try {
            description = backend.admin().describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(backend.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of(); // nobody ever used the name
            }
            throw backend.failure("Checking whether consumer name \"" + group + "\" is in use on topic \"" + topic + "\"", e);
        } catch (Exception e) {
            throw backend.failure("Checking whether consumer name \"" + group + "\" is in use on topic \"" + topic + "\"", e);
        }
        String prefix = CLIENT_ID_PREFIX + topic + "~";
        String memberPrefix = MEMBER_CLIENT_ID_PREFIX + topic + "~";
        List<MemberDescription> holders = new ArrayList<>();
        for (MemberDescription member : description.members()) {
            if (member.clientId().equals(exceptClientId)) {
                continue;
            }
            boolean onTopic = member.clientId().startsWith(prefix) || member.clientId().startsWith(memberPrefix)
                    || member.assignment().topicPartitions().stream()
                    .anyMatch(partition -> partition.topic().equals(topic));
            if (onTopic) {
                holders.add(member);
            }
        }
        return holders;
    }

    /** Polls until the group has given this reader its partitions; records polled meanwhile are kept. */
    private void join() {
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        while (consumer.assignment().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new BackendUnavailableException("Consumer \"" + group.orElseThrow() + "\" could not join its"
                        + " Kafka consumer group for topic \"" + topic + "\" within " + backend.timeout()
                        + "; check that the brokers are running and the group coordinator is available", null);
            }
            try {
                poll(Duration.ofMillis(100)).forEach(buffer::add);
                lastPollNanos = System.nanoTime();
            } catch (InterruptException e) {
                throw new StreamableException("Interrupted while joining the consumer group of \"" + group.orElseThrow()
                        + "\"", e);
            } catch (KafkaException e) {
                throw backend.failure("Joining the consumer group \"" + group.orElseThrow() + "\" on topic \"" + topic + "\"", e);
            }
        }
    }

    /**
     * Two readers that checked the name at the same moment both joined: the younger one (by client
     * id, which starts with the opening time) gives way, so exactly one keeps the name.
     */
    private void refuseIfYoungerHolder() {
        List<MemberDescription> others = holders(backend, topic, group.orElseThrow(), clientId);
        if (others.isEmpty()) {
            return;
        }
        Comparator<String> byAge = Comparator.comparing(KafkaTopicReader::openedAt).thenComparing(Comparator.naturalOrder());
        String oldest = others.stream().map(MemberDescription::clientId).min(byAge).orElseThrow();
        if (byAge.compare(oldest, clientId) < 0) {
            throw new ConsumerNameInUseException(topic, group.orElseThrow());
        }
    }

    /** The opening time in a reader's client id; other clients count as older than any reader. */
    static long openedAt(String clientId) {
        if (!clientId.startsWith(CLIENT_ID_PREFIX) && !clientId.startsWith(MEMBER_CLIENT_ID_PREFIX)) {
            return Long.MIN_VALUE;
        }
        String[] parts = clientId.split("~");
        try {
            return Long.parseLong(parts[parts.length - 2]);
        } catch (RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }

    @Override
    public ReadBatch read(int max, Duration maxWait) throws InterruptedException {
        if (closeRequested.get()) {
            closeNow();
            return new ReadBatch(List.of(), false);
        }
        requireOwnership();
        if (group.isPresent() && backend.readersSuspended()) {
            return suspendedRead(maxWait);
        }
        if (!buffer.isEmpty() && group.isPresent()
                && System.nanoTime() - lastPollNanos > backend.livenessNanos()) {
            // paused (GC, SIGSTOP, a slow handler) for longer than the group allows: the buffered records may
            // already belong to a successor, so confirm ownership before handing out another one
            confirmOwnership();
        }
        if (buffer.isEmpty()) {
            ConsumerRecords<byte[], byte[]> polled;
            try {
                polled = pollForRead(maxWait);
            } catch (OwnershipLost e) {
                throw fencedException();
            } catch (WakeupException e) {
                rethrowListenerFailure();
                if (closeRequested.get()) {
                    closeNow();
                }
                return new ReadBatch(List.of(), false);
            } catch (InterruptException e) {
                rethrowListenerFailure();
                Thread.interrupted(); // the InterruptedException below reports it
                InterruptedException interrupted = new InterruptedException("Interrupted while reading Kafka topic \""
                        + topic + "\"");
                interrupted.initCause(e);
                throw interrupted;
            } catch (KafkaException | IllegalStateException e) {
                if (fenced != null) {
                    throw fencedException(); // the lost callback ran, wrapped by the consumer
                }
                rethrowListenerFailure();
                throw backend.failure("Reading Kafka topic \"" + topic + "\"", e);
            }
            rethrowListenerFailure();
            requireOwnership(); // the rebalance callbacks may have fenced this reader
            polled.forEach(buffer::add);
            if (!deferred.isEmpty()) {
                sendDeferred();
            }
        }
        List<StoredRecord> records = new ArrayList<>(Math.min(max, buffer.size()));
        while (records.size() < max && !buffer.isEmpty()) {
            ConsumerRecord<byte[], byte[]> record = buffer.poll();
            next.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
            if (record.value() != null) { // a tombstone written by another Kafka client carries no message
                records.add(KafkaTopicStore.toStoredRecord(record));
            }
        }
        boolean caughtUp = buffer.isEmpty() && atHead(records.isEmpty());
        return new ReadBatch(records, caughtUp);
    }

    /**
     * The consumer's poll, with {@code auto.offset.reset=none}: an offset retention removed (the
     * reader fell below a partition's log start while it ran, or a committed offset was below it)
     * and a partition without any offset are handled here, not reset silently by the client. Such a
     * poll returns nothing; the next one reads from where this one sought.
     */
    private ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        try {
            return consumer.poll(timeout);
        } catch (OffsetOutOfRangeException e) {
            recoverOutOfRange(e.offsetOutOfRangePartitions());
        } catch (NoOffsetForPartitionException e) {
            startWithoutOffset(e.partitions());
        } catch (InvalidOffsetException e) {
            startWithoutOffset(e.partitions());
        }
        return ConsumerRecords.empty();
    }

    /**
     * Offsets below a partition's log start: retention removed them before this reader read them.
     * It records the gap ({@link #takeRetentionGaps()}) and goes on at the log start. An offset
     * beyond the end (the log was truncated, as after an unclean leader election) goes on at the end.
     */
    private void recoverOutOfRange(Map<TopicPartition, Long> outOfRange) {
        Set<TopicPartition> partitions = new HashSet<>(outOfRange.keySet());
        partitions.retainAll(consumer.assignment());
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> logStart = logStartOffsets(partitions);
        Map<TopicPartition, Long> end = null;
        for (TopicPartition partition : partitions) {
            long from = outOfRange.get(partition);
            Long kept = logStart.get(partition);
            if (kept != null && from < kept) {
                gaps.add(new RetentionGap(topic, partition.partition(), from, kept));
                LOG.debug("Reader {}: retention removed offsets {}-{} of partition {} before they were read; going on"
                        + " at the log start", clientId, from, kept - 1, partition);
                consumer.seek(partition, kept);
                next.put(partition, kept); // a rebalance seeks here, not to the removed offsets again
            } else {
                if (end == null) {
                    end = consumer.endOffsets(partitions, backend.timeout());
                }
                long to = end.getOrDefault(partition, from);
                LOG.warn("Reader {}: offset {} of partition {} lies beyond its end {} (the log was truncated);"
                        + " going on at the end", clientId, from, partition, to);
                consumer.seek(partition, to);
                next.put(partition, to);
            }
        }
    }

    /** Partitions without an offset (nothing committed, added since): where this reader started, else their beginning. */
    private void startWithoutOffset(Set<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            if (!consumer.assignment().contains(partition)) {
                continue;
            }
            // below the log start, the next poll reports the gap
            seekToStart(partition, next.getOrDefault(partition, startOffsets.get(partition)));
        }
    }

    /** Seeks to {@code start}, or, where this reader has none for the partition, to its beginning. */
    private void seekToStart(TopicPartition partition, Long start) {
        if (start != null) {
            consumer.seek(partition, start);
        } else {
            consumer.seekToBeginning(List.of(partition));
        }
    }

    /**
     * The read's poll. A member polls in slices and returns once a rebalance changed its slots:
     * Kafka's poll runs the rebalance callbacks and then goes on waiting for records until its
     * timeout, so an idle member would show its new slots (Consumer.assignment, onAssignmentChange)
     * only that much later. A slice is no more than a fetch waits on the broker anyway.
     */
    private ConsumerRecords<byte[], byte[]> pollForRead(Duration maxWait) {
        if (!member()) {
            ConsumerRecords<byte[], byte[]> polled = poll(maxWait);
            lastPollNanos = System.nanoTime();
            return polled;
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        Set<Integer> before = slots;
        while (true) {
            long left = Math.max(0, deadline - System.nanoTime());
            ConsumerRecords<byte[], byte[]> polled = poll(Duration.ofNanos(Math.min(left, POLL_SLICE_NANOS)));
            lastPollNanos = System.nanoTime();
            if (!polled.isEmpty() || slots != before || left <= POLL_SLICE_NANOS || listenerFailure != null
                    || fenced != null || closeRequested.get() || !gaps.isEmpty()) {
                return polled;
            }
        }
    }

    @Override
    public List<RetentionGap> takeRetentionGaps() {
        if (gaps.isEmpty()) {
            return List.of();
        }
        List<RetentionGap> taken = List.copyOf(gaps);
        gaps.clear();
        return taken;
    }

    /** Whether every assigned partition has been read to its end. */
    private boolean atHead(boolean nothingRead) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            // a member without partitions (cooperative rebalances never empty a member's assignment in
            // passing) has read all of its share; an exclusive reader is between a revocation and an assignment
            return member() && assignmentSettled;
        }
        List<TopicPartition> unknown = new ArrayList<>();
        for (TopicPartition partition : assigned) {
            OptionalLong lag = consumer.currentLag(partition);
            if (lag.isEmpty()) {
                unknown.add(partition);
            } else if (lag.getAsLong() > 0) {
                return false;
            }
        }
        if (unknown.isEmpty()) {
            return true;
        }
        try {
            // no fetch has reported these partitions' end yet: ask
            Map<TopicPartition, Long> end = consumer.endOffsets(unknown, HEAD_CHECK_TIMEOUT);
            for (TopicPartition partition : unknown) {
                if (consumer.position(partition, HEAD_CHECK_TIMEOUT) < end.getOrDefault(partition, 0L)) {
                    return false;
                }
            }
            return true;
        } catch (WakeupException e) {
            return false;
        } catch (KafkaException e) {
            if (nothingRead) {
                throw backend.failure("Reading the end offsets of Kafka topic \"" + topic + "\"", e);
            }
            return false;
        }
    }

    @Override
    public Optional<Position> startPosition() {
        return startPosition;
    }

    @Override
    public void commit(Position consumed) {
        if (group.isEmpty() || closed.get()) {
            return;
        }
        requireOwnership();
        if (member()) {
            commitAsMember(consumed);
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        Set<TopicPartition> partitions = new HashSet<>(startOffsets.keySet());
        consumed.offsets().keySet().forEach(partition -> partitions.add(new TopicPartition(topic, partition)));
        for (TopicPartition partition : partitions) {
            OptionalLong offset = consumed.offset(partition.partition());
            // partitions without a handled message keep where this reader started, so a reader at latest
            // does not fall back to the beginning of a quiet partition when it restarts
            Long target = offset.isPresent() ? Long.valueOf(offset.getAsLong() + 1) : startOffsets.get(partition);
            Long previous = committed.get(partition);
            if (target != null && (previous == null || target > previous)) {
                offsets.put(partition, new OffsetAndMetadata(target));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        boolean rebalanced = false;
        while (true) {
            if (rebalanced && assignmentSettled && !consumer.assignment().containsAll(offsets.keySet())) {
                // the rebalance gave a partition this commit covers to another member of the group: saving
                // it would overwrite that member's position
                throw fence("a group rebalance gave partition(s) " + partitionsNotAssigned(offsets.keySet())
                        + " to another member while this reader was saving its position");
            }
            try {
                consumer.commitSync(offsets, remaining(deadline));
                break;
            } catch (WakeupException e) {
                // a wakeup meant for a read (close() races with this commit): the commit still matters
                closeIfRequested();
            } catch (CommitFailedException | FencedInstanceIdException | UnknownMemberIdException
                     | IllegalGenerationException e) {
                // the broker checks the commit's generation: this reader is no longer a member of the group
                throw fence("the group refused a commit of generation " + consumer.groupMetadata().generationId()
                        + ": " + e.getClass().getSimpleName());
            } catch (RebalanceInProgressException e) {
                // not a loss of ownership: the group rebalances (a reader of another topic with this name
                // joined or left). As commitSync's contract says, complete the rebalance with a poll, then
                // commit again, with the new generation.
                rebalanced = true;
                if (System.nanoTime() - deadline >= 0) {
                    throw new BackendUnavailableException("Saving the position of consumer \"" + group.get()
                            + "\" on topic \"" + topic + "\" failed: its Kafka group kept rebalancing for "
                            + backend.timeout() + "; it is saved again with the next commit", e);
                }
                pollDuringCommit(deadline);
                continue; // a rebalance that outlasts the deadline is reported above, with its cause
            } catch (InterruptException e) {
                throw new StreamableException("Interrupted while saving the position of consumer \"" + group.get()
                        + "\"", e);
            } catch (KafkaException e) {
                throw backend.failure("Saving the position of consumer \"" + group.get() + "\" on Kafka topic \""
                        + topic + "\"", e);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new BackendUnavailableException("Saving the position of consumer \"" + group.get() + "\" on topic \""
                        + topic + "\" did not finish within " + backend.timeout() + ": it was woken up repeatedly; it is"
                        + " saved again with the next commit", null);
            }
        }
        offsets.forEach((partition, offset) -> committed.put(partition, offset.offset()));
    }

    /**
     * A member's commit: each partition it owns now (revoked ones too while its listener runs, which
     * is before Kafka releases them) to the offset after {@code consumed}'s, if that is ahead of its
     * committed offset. It never polls, so the listener runs from {@link #read} alone: a commit that
     * meets a rebalance in progress on this client keeps its offsets and sends them after the next
     * poll (which completes the rebalance), from inside the revocation, or on close.
     */
    private void commitAsMember(Position consumed) {
        if (opened && assignmentSettled && System.nanoTime() - lastPollNanos > backend.maxPollIntervalNanos()) {
            // its heartbeat thread left the group (no poll within max.poll.interval.ms): another member may own
            // its partitions already, and the next poll reports them lost. Judged by time, as groupMetadata()
            // keeps the old generation until the consumer joins again
            throw fence("the Kafka group expired this member after max.poll.interval.ms without a poll");
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (TopicPartition partition : ownedPartitions()) {
            OptionalLong offset = consumed.offset(partition.partition());
            if (offset.isEmpty()) {
                continue;
            }
            long target = offset.getAsLong() + 1;
            Long previous = committed.get(partition);
            if (previous == null || target > previous) {
                offsets.put(partition, target);
            }
        }
        deferred.forEach((partition, offset) -> {
            if (ownedPartitions().contains(partition)) {
                offsets.merge(partition, offset, Math::max);
            }
        });
        if (offsets.isEmpty()) {
            return;
        }
        if (!sendAsMember(offsets)) {
            offsets.forEach((partition, offset) -> deferred.merge(partition, offset, Math::max));
            LOG.debug("Member {} keeps its commit of {} for after the rebalance in progress", clientId, offsets);
        }
    }

    /**
     * Commits a member's offsets; false if the group is rebalancing on this client (nothing was sent).
     * Throws for a fencing, an outage, or a close that interrupted it.
     */
    private boolean sendAsMember(Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, OffsetAndMetadata> request = new HashMap<>();
        offsets.forEach((partition, offset) -> request.put(partition, new OffsetAndMetadata(offset)));
        long deadline = System.nanoTime() + backend.timeout().toNanos();
        boolean woken = false;
        try {
            while (true) {
                try {
                    consumer.commitSync(request, remaining(deadline));
                    break;
                } catch (WakeupException e) {
                    // a wakeup meant for a read; the commit still matters, unless the reader is being closed
                    if (closeRequested.get()) {
                        throw new BackendUnavailableException("The member \"" + group.orElse("") + "\" of topic \"" + topic
                                + "\" was closed while saving its position; nothing was saved", null);
                    }
                    woken = true;
                } catch (CommitFailedException | FencedInstanceIdException | UnknownMemberIdException
                         | IllegalGenerationException e) {
                    throw fence("the group refused a commit of generation " + consumer.groupMetadata().generationId()
                            + ": " + e.getClass().getSimpleName());
                } catch (RebalanceInProgressException e) {
                    if (inListener) {
                        // inside the revocation the generation is settled; a refusal here is the broker's, and brief
                        throw new BackendUnavailableException("Saving the position of consumer \"" + group.orElse("")
                                + "\" on topic \"" + topic + "\" before giving up partitions failed: its group is"
                                + " rebalancing again; the next owner reads them from the last saved position", e);
                    }
                    return false;
                } catch (InterruptException e) {
                    throw new StreamableException("Interrupted while saving the position of consumer \"" + group.orElse("")
                            + "\"", e);
                } catch (KafkaException e) {
                    throw backend.failure("Saving the position of consumer \"" + group.orElse("") + "\" on Kafka topic \""
                            + topic + "\"", e);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new BackendUnavailableException("Saving the position of consumer \"" + group.orElse("")
                            + "\" on topic \"" + topic + "\" did not finish within " + backend.timeout() + ": it was woken up"
                            + " repeatedly; it is saved again with the next commit", null);
                }
            }
        } finally {
            if (woken) {
                passOnWakeup();
            }
        }
        committed.putAll(offsets);
        deferred.keySet().removeAll(offsets.keySet());
        return true;
    }

    /** Sends the commit a rebalance held back, now that a poll has run; keeps it if the rebalance goes on. */
    private void sendDeferred() {
        Map<TopicPartition, Long> offsets = new HashMap<>(deferred);
        offsets.keySet().retainAll(ownedPartitions());
        deferred.keySet().retainAll(offsets.keySet());
        if (offsets.isEmpty()) {
            return;
        }
        try {
            sendAsMember(offsets);
        } catch (ConsumerFencedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.debug("Member {} could not send its held-back commit yet", clientId, e);
        }
    }

    /** The partitions of this topic the member owns: Kafka's assignment, which still holds revoked ones while the listener runs. */
    Set<TopicPartition> ownedPartitions() {
        Set<TopicPartition> owned = new HashSet<>();
        for (TopicPartition partition : consumer.assignment()) {
            if (partition.topic().equals(topic)) {
                owned.add(partition);
            }
        }
        return owned;
    }

    /** A member's slots (its partitions of this topic), for any thread. */
    Set<Integer> slots() {
        return slots;
    }

    int slotCount() {
        return slotCount;
    }

    /** The consumer group (the consumer name); only for named readers. */
    String groupName() {
        return group.orElseThrow();
    }

    /** A read while the connection acts as a paused process: no poll, so Kafka's poll timeout expires the member. */
    private ReadBatch suspendedRead(Duration maxWait) throws InterruptedException {
        synchronized (this) {
            long until = System.nanoTime() + maxWait.toNanos();
            long left;
            while (!closeRequested.get() && (left = until - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        if (opened && (!member() || assignmentSettled) && System.nanoTime() - lastPollNanos > backend.maxPollIntervalNanos()) {
            // its heartbeat thread leaves the group max.poll.interval.ms after the last poll: a resumed process
            // learns it at its next poll, which a suspended reader never makes. Not groupMetadata(): the
            // consumer keeps the old generation there until it joins again
            throw fence("the Kafka group expired this member after max.poll.interval.ms without a poll");
        }
        return new ReadBatch(List.of(), false);
    }

    private void rethrowListenerFailure() {
        RuntimeException failure = listenerFailure;
        if (failure != null) {
            listenerFailure = null;
            throw failure;
        }
    }

    /**
     * Runs the member's listener inside a rebalance callback. What it throws is kept for the read
     * whose poll runs the callback: thrown through Kafka's consumer it would come out wrapped.
     */
    private void announce(Rebalance change) {
        inListener = true;
        try {
            listener.beforeRebalance(change);
        } catch (RuntimeException e) {
            if (listenerFailure == null) {
                listenerFailure = e;
            }
        } finally {
            inListener = false;
        }
    }

    private Set<Integer> slotsOf(Collection<TopicPartition> partitions) {
        Set<Integer> numbers = new java.util.TreeSet<>();
        for (TopicPartition partition : partitions) {
            if (partition.topic().equals(topic)) {
                numbers.add(partition.partition());
            }
        }
        return numbers;
    }

    /**
     * One short poll that moves a rebalance on (the revocation and assignment callbacks run in it).
     * Records it fetches are buffered for the next read, as a read's poll would, unless the reader
     * is closing: then nobody reads them, and they were never handed out.
     */
    private void pollDuringCommit(long deadline) {
        ConsumerRecords<byte[], byte[]> polled;
        try {
            polled = poll(min(REBALANCE_POLL, remaining(deadline)));
            lastPollNanos = System.nanoTime();
        } catch (OwnershipLost e) {
            throw fencedException();
        } catch (WakeupException e) {
            closeIfRequested();
            return;
        } catch (InterruptException e) {
            throw new StreamableException("Interrupted while saving the position of consumer \"" + group.orElseThrow()
                    + "\"", e);
        } catch (KafkaException | IllegalStateException e) {
            if (fenced != null) {
                throw fencedException(); // the lost callback ran, wrapped by the consumer
            }
            throw backend.failure("Completing a rebalance of consumer \"" + group.orElseThrow() + "\" on Kafka topic \""
                    + topic + "\" to save its position", e);
        }
        if (!closeRequested.get()) {
            polled.forEach(buffer::add);
        }
    }

    /** After a wakeup in a commit: if close() woke it from another thread, the commit gives way to the close. */
    private void closeIfRequested() {
        if (closeRequested.get()) {
            closeNow();
            throw new BackendUnavailableException("The reader of consumer \"" + group.orElse("") + "\" on topic \""
                    + topic + "\" was closed while saving its position; nothing was saved", null);
        }
    }

    private Set<TopicPartition> partitionsNotAssigned(Set<TopicPartition> partitions) {
        Set<TopicPartition> missing = new HashSet<>(partitions);
        missing.removeAll(consumer.assignment());
        return missing;
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public void wakeup() {
        if (!closed.get()) {
            consumer.wakeup();
        }
    }

    @Override
    public void close() {
        if (closeRequested.compareAndSet(false, true)) {
            synchronized (this) {
                notifyAll(); // a suspended read returns
            }
            closeNow();
        }
    }

    /** Closes the consumer, or leaves it to the thread inside it (KafkaConsumer is single-threaded). */
    private void closeNow() {
        if (closed.get()) {
            return;
        }
        try {
            if (member()) {
                prepareToLeave();
            }
            // the classic consumer leaves the group on close, which frees the name at once. A reader in no
            // group has nothing to send: waiting would only wait for its prefetch, which the broker holds
            // for fetch.max.wait.ms (500 ms) on a caught-up partition, so every short-lived reader (the
            // schema log's, at each consumer start) cost half a second
            consumer.close(CloseOptions.timeout(group.isPresent() ? CLOSE_TIMEOUT : Duration.ZERO));
            closed.set(true);
            backend.untrack(this);
        } catch (ConcurrentModificationException e) {
            consumer.wakeup(); // the reading thread sees closeRequested when its read returns and closes then
        } catch (RuntimeException e) {
            closed.set(true);
            backend.untrack(this);
            LOG.warn("Closing the Kafka consumer {} failed", clientId, e);
        }
    }

    /**
     * Before a member leaves: sends a final commit that a rebalance held back (polling until the
     * rebalance completes, at most the close timeout; a revocation meanwhile sends it for the
     * partitions it takes), then, if other members share the topic, keeps the membership for
     * {@link #LEAVE_DEBOUNCE} so a replacement joining now is part of the same rebalance.
     */
    private void prepareToLeave() {
        if (fenced != null || !opened) {
            return;
        }
        long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
        while (!deferred.isEmpty() && System.nanoTime() - deadline < 0) {
            try {
                sendDeferred();
                if (deferred.isEmpty()) {
                    break;
                }
                poll(REBALANCE_POLL); // completes the rebalance; closing, so its records are not kept
            } catch (ConsumerFencedException | OwnershipLost | WakeupException e) {
                break;
            } catch (KafkaException e) {
                LOG.debug("Member {} could not send its final commit before leaving", clientId, e);
                break;
            }
        }
        if (!deferred.isEmpty()) {
            LOG.warn("Consumer \"{}\" of topic \"{}\" leaves without saving {}: its group kept rebalancing for {};"
                    + " the next owner delivers what it handled since its last save again", group.orElse(""), topic,
                    deferred, CLOSE_TIMEOUT);
        }
        Set<Integer> owned = slots;
        if (!owned.isEmpty() && owned.size() < slotCount && !backend.readersSuspended()) {
            // a deliberate delay before the LeaveGroup, not a synchronisation (see LEAVE_DEBOUNCE)
            java.util.concurrent.locks.LockSupport.parkNanos(LEAVE_DEBOUNCE.toNanos());
        }
    }

    /** The reader's consumer, for this package's tests (which stop it as a crash would). */
    KafkaConsumer<byte[], byte[]> consumer() {
        return consumer;
    }

    /** The client id, which names this reader in the group's membership. */
    String clientId() {
        return clientId;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (member()) {
            memberRevoked(partitions);
            return;
        }
        // they are read again from what this reader handed out, after the rebalance
        assignmentSettled = false;
        buffer.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
    }

    /**
     * The group expired this member (session timeout, or no poll within {@code max.poll.interval.ms}):
     * its partitions may already be another reader's. Not a revoke: this reader is fenced and must
     * not rejoin, so the callback throws, which makes the consumer stop before sending its JoinGroup.
     */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        buffer.clear();
        slots = Set.of(); // a member's partitions may be another member's already
        if (closeRequested.get()) {
            return; // closing: the consumer leaves anyway
        }
        if (!opened) {
            lostWhileOpening = true; // nothing delivered yet: open() starts over
            throw new OwnershipLost();
        }
        fence("the Kafka group expired this member after session.timeout.ms without heartbeats or"
                + " max.poll.interval.ms without a poll");
        throw new OwnershipLost();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (fenced != null) {
            return;
        }
        if (member()) {
            memberAssigned(partitions);
            return;
        }
        assignmentSettled = true;
        for (TopicPartition partition : partitions) {
            // no offset: a partition added after this reader opened
            seekToStart(partition, next.get(partition));
        }
    }

    /**
     * Cooperative rebalancing calls this only for partitions that move away, while the member still
     * owns them: the barrier. A rebalance that revokes nothing here (another topic's members of the
     * name, a member that joined and takes nothing from this one) never gets here, so nothing is
     * drained. While closing, the listener is not called (the framework has drained and saved
     * already); a commit a rebalance held back goes out now, while the partitions are still this
     * member's.
     */
    private void memberRevoked(Collection<TopicPartition> partitions) {
        Set<Integer> revoked = slotsOf(partitions);
        if (revoked.isEmpty()) {
            return;
        }
        if (closeRequested.get() || !opened || fenced != null) {
            if (closeRequested.get() && fenced == null && !deferred.isEmpty()) {
                sendDeferred();
            }
        } else {
            announce(new Rebalance(revoked, Set.of(), slotCount, false));
            if (!deferred.isEmpty()) {
                // a commit a rebalance held back counts as saved for the framework, which then does not
                // repeat it from the listener: send it now, while the partitions are still this member's
                inListener = true;
                try {
                    sendDeferred();
                } finally {
                    inListener = false;
                }
            }
        }
        // records fetched but not handed out: their next owner reads them from the committed offset
        buffer.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
        committed.keySet().removeAll(partitions);
        deferred.keySet().removeAll(partitions);
        Set<Integer> remaining = new java.util.TreeSet<>(slots);
        remaining.removeAll(revoked);
        slots = Set.copyOf(remaining);
    }

    /**
     * Called after every rebalance with the partitions added (often none: Kafka calls it also when
     * nothing changed here). Announces them, then starts each at its committed offset, read now,
     * after its old owner committed in its revocation; while joining, at the member's start.
     */
    private void memberAssigned(Collection<TopicPartition> partitions) {
        assignmentSettled = true;
        Set<Integer> added = slotsOf(partitions);
        if (added.isEmpty()) {
            return; // a rebalance that changed nothing for this member on this topic
        }
        if (opened && !closeRequested.get()) {
            announce(new Rebalance(Set.of(), added, slotCount, false));
        }
        Set<Integer> owned = new java.util.TreeSet<>(slots);
        owned.addAll(added);
        slots = Set.copyOf(owned);
        Set<TopicPartition> mine = new HashSet<>();
        partitions.forEach(partition -> {
            if (partition.topic().equals(topic)) {
                mine.add(partition);
            }
        });
        if (!opened) {
            for (TopicPartition partition : mine) {
                seekToStart(partition, next.get(partition));
            }
        } else {
            seekToCommitted(mine);
        }
        if (exclusiveCheckPending) {
            exclusiveCheckPending = false;
            try {
                if (olderExclusiveHolder()) {
                    fence("an exclusive reader of the name, opened before this member, holds it");
                }
            } catch (RuntimeException e) {
                LOG.debug("Member {} could not check for an exclusive holder of its name", clientId, e);
            }
        }
    }

    private void seekToCommitted(Set<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> found;
        try {
            found = consumer.committed(partitions, backend.timeout());
        } catch (WakeupException e) {
            passOnWakeup(); // the consumer fetches the committed offsets itself before its next fetch
            return;
        } catch (KafkaException e) {
            LOG.debug("Member {} could not read the committed offsets of {}; the consumer reads them itself", clientId,
                    partitions, e);
            return;
        }
        Map<TopicPartition, Long> logStart = logStarts(partitions);
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = found.get(partition);
            if (offset != null && offset.offset() >= 0) {
                long from = offset.offset();
                Long kept = logStart.get(partition);
                if (kept != null && from < kept) {
                    // retention removed what the group had not consumed of this partition: resume at the
                    // log start and say so, instead of the client's silent auto.offset.reset
                    gaps.add(new RetentionGap(topic, partition.partition(), from, kept));
                    from = kept;
                }
                consumer.seek(partition, from);
                committed.put(partition, offset.offset());
            } else {
                // nothing committed (a group that started at the beginning, a partition added since): its start
                seekToStart(partition, startOffsets.get(partition));
            }
        }
    }

    /** The log start offsets of partitions gained in a rebalance; empty where the broker did not answer. */
    private Map<TopicPartition, Long> logStarts(Set<TopicPartition> partitions) {
        try {
            return logStartOffsets(partitions);
        } catch (RuntimeException e) { // best effort: a committed offset below the log start shows at the next fetch
            LOG.debug("Member {} could not read the log start offsets of {}; the next fetch finds a committed offset"
                    + " retention removed", clientId, partitions, e);
            return Map.of();
        }
    }

    /**
     * The log start offsets of assigned partitions, asked of the admin client, never of the consumer:
     * the consumer's {@code beginningOffsets} also stores each answer as the partition's end (Kafka's
     * {@code OffsetFetcherUtils.updateSubscriptionState} takes every ListOffsets answer for the last
     * stable offset, earliest or latest), so {@code currentLag} then reads 0 for a partition positioned
     * at its log start, and the reader would say it is caught up before it read what the partition holds.
     */
    private Map<TopicPartition, Long> logStartOffsets(Set<TopicPartition> partitions) {
        Map<TopicPartition, Long> offsets = new HashMap<>(((KafkaTopicStore) backend.topic(topic))
                .offsets(OffsetSpec.earliest()));
        offsets.keySet().retainAll(partitions);
        return offsets;
    }

    /**
     * A blocking call made inside a rebalance callback, or by a commit, consumed a wake-up meant for
     * the read (a close, a hand-over): arm it again, or the poll that runs the callback, or the next
     * read, waits its whole timeout before the reader sees why it was woken.
     */
    private void passOnWakeup() {
        consumer.wakeup();
    }

    private void requireOwnership() {
        if (fenced != null) {
            throw fencedException();
        }
    }

    /**
     * Polls without waiting, so the consumer handles what its heartbeat thread learnt meanwhile (a
     * lost membership fences here), then has the broker check the generation with a commit of what
     * is already saved: an expired member's commit is refused.
     */
    private void confirmOwnership() {
        try {
            poll(Duration.ZERO).forEach(buffer::add);
            lastPollNanos = System.nanoTime();
        } catch (OwnershipLost e) {
            throw fencedException();
        } catch (WakeupException e) {
            return; // a wakeup for this read: the next one confirms
        } catch (KafkaException e) {
            if (fenced != null) {
                throw fencedException();
            }
            return; // unavailable: the poll in read() reports it
        }
        Map<TopicPartition, OffsetAndMetadata> saved = new HashMap<>();
        committed.forEach((partition, offset) -> saved.put(partition, new OffsetAndMetadata(offset)));
        if (member()) {
            saved.keySet().retainAll(ownedPartitions()); // the other members' partitions are theirs to commit
        }
        if (saved.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(saved, backend.timeout());
        } catch (CommitFailedException | FencedInstanceIdException | UnknownMemberIdException
                 | IllegalGenerationException e) {
            throw fence("the group refused this member's generation after a pause of more than a session");
        } catch (KafkaException e) {
            // a rebalance or an outage: no take-over proven; the next poll settles membership
            LOG.debug("Could not confirm the ownership of {} after a pause", clientId, e);
        }
    }

    private ConsumerFencedException fence(String detail) {
        if (fenced == null) {
            fenced = detail;
            buffer.clear();
            LOG.warn("Consumer \"{}\" of topic \"{}\" lost its name ({}); it stops delivering", group.orElse(""), topic,
                    detail);
        }
        return fencedException();
    }

    private ConsumerFencedException fencedException() {
        return new ConsumerFencedException(topic, group.orElse(""), fenced);
    }

    /** The membership expired while the reader was opening; {@link #open} tries again. */
    private static final class MembershipLostWhileOpening extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MembershipLostWhileOpening() {
            super("group membership lost while opening", null, false, false);
        }
    }

    /** Thrown out of the lost-partitions callback so the consumer does not rejoin the group. */
    private static final class OwnershipLost extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OwnershipLost() {
            super("ownership of the consumer name lost", null, false, false);
        }
    }

    @Override
    public String toString() {
        return "KafkaTopicReader[" + clientId + "]";
    }
}
