/**
 * The Apache Kafka backend: {@code kafka://broker1:9092,broker2:9092?partitions=12&replication=3}.
 * Add {@code io.streamable:backend-kafka} and open it with {@code Streamable.open(url)}.
 *
 * <h2>Options</h2>
 * <ul>
 *   <li>{@code partitions}, {@code replication}: for topics the backend creates; when given, an
 *       existing topic must match exactly, else {@code topic(name)} fails and says which value to
 *       use. Left out, created topics get the broker's defaults and existing ones are taken as they
 *       are. The backend never changes a topic's partition count: that would move sharding keys
 *       between partitions and break their order. Someone else changing it is detected when a
 *       connection first uses the topic: the newest framework-written records of each partition
 *       must still hash to it under the current count, else {@code topic(name)} fails and says what
 *       happened (whatever the URL says).</li>
 *   <li>{@code topic.<config>}: a topic config for created topics ({@code topic.retention.ms=...},
 *       {@code topic.min.insync.replicas=2}). {@code cleanup.policy} is {@code compact} unless set;
 *       a policy without {@code compact} is refused. {@code min.insync.replicas} is
 *       {@code min(2, replication)} unless set, so {@code acks=all} waits for a second replica
 *       wherever there is one.</li>
 *   <li>{@code kafka.<config>}: passed to every Kafka client (producer, consumers, admin) that
 *       knows the config, for example {@code kafka.security.protocol=SASL_SSL},
 *       {@code kafka.sasl.jaas.config=...}, {@code kafka.delivery.timeout.ms=30000}. A name no client
 *       knows is refused. {@code kafka.producer.*}, {@code kafka.consumer.*} and {@code kafka.admin.*}
 *       reach one client only, unchecked. Values are never logged: the URL is logged masked
 *       ({@link io.streamable.backend.BackendUrl#masked()}), and the clients print password configs
 *       as {@code [hidden]}. A client that cannot be created (a host no DNS resolves, a JAAS config
 *       that does not parse, a missing key or trust store) is a
 *       {@link io.streamable.StreamableException} naming the option to fix, with the values of
 *       secret-bearing options removed from the client's words. Refused: {@code kafka.acks} other
 *       than {@code all} (no durable position: {@code acks=0} returns no offset, {@code acks=1} loses
 *       acknowledged records when a leader fails) and {@code kafka.max.block.ms} (the backend sets
 *       it to 0, see Append).</li>
 *   <li>{@code timeout}: how long admin calls and commits wait for the cluster, default 30 s.</li>
 *   <li>{@code maxPendingRecords} (default 200000) and {@code maxPendingBytes} (default 67108864,
 *       64 MiB): the most records, and bytes of them, that the connection's appends may hold in
 *       memory while they wait for the producer (see Append). Bytes are estimated: payload, sharding
 *       key, logCompactId and headers, plus 128 per record.</li>
 * </ul>
 *
 * <h2>How the framework maps to Kafka</h2>
 * <ul>
 *   <li><b>Partition</b>: chosen from the sharding key with Kafka's own keyed-record hash
 *       (murmur2 of its UTF-8 bytes, modulo the partition count), computed by the backend and set on
 *       each record, so one key's messages share a partition and arrive in append order. The
 *       producer is idempotent with {@code acks=all}, which keeps that order through retries.</li>
 *   <li><b>Record format</b> (format 2, since 2026-12-02; {@code KafkaRecordFormat}). The record key,
 *       which is what Kafka compacts by, carries the sharding key and the logCompactId, so they need
 *       no headers:
 *       <ul>
 *         <li>with a logCompactId: {@code <length of the sharding key in UTF-8 bytes>:<sharding key><logCompactId>},
 *             for example {@code 10:customer-1order-7}. It holds both, unambiguously (the length says
 *             where the sharding key ends), so the same id under two sharding keys gives two keys even
 *             when both sharding keys hash to one partition. It is the key format 1 wrote too, so
 *             records written before an upgrade are compacted by later ones with the same pair.</li>
 *         <li>without one: the byte {@code 0x01}, 8 random bytes drawn per connection, the
 *             connection's record counter as an unsigned varint (1 byte up to 127, 3 up to 2 million),
 *             then the sharding key: 11 to 13 bytes plus the sharding key. No other record has it, so
 *             compaction never removes such a record (Kafka refuses keyless records on compacted topics
 *             anyway); its first byte is never a digit (a compaction key) nor {@code ~} (format 1's
 *             unique keys).</li>
 *       </ul>
 *       The first Kafka header has an empty name (a name no producer can give a header) and marks the
 *       format: its value is the byte {@code 2}, then the framework's schema headers packed as
 *       entries ({@code 1} + varint: {@code streamable.schema.version} in canonical decimal; {@code 2}
 *       + varint length + UTF-8: a version in any other text; {@code 3} + length + UTF-8:
 *       {@code streamable.schema.variant}); a message of schema version 1 carries
 *       {@code [2, 1, 1]}. The message's other headers follow as Kafka headers (UTF-8).
 *       <br>Format 1 (before 2026-12-02), still read: any key ({@code ~<16 random characters><base-36
 *       counter>} without a logCompactId), the message's headers as Kafka headers, then
 *       {@code streamable.shardingKey} and, with an id, {@code streamable.logCompactId} (records of
 *       a still earlier release had the bare logCompactId as key: they read the same, but later records
 *       with that id do not compact them). A record is
 *       read as format 2 when its first header has an empty name, a value starting with {@code 2}
 *       and its key parses as a format-2 key; else as format 1 when it has a
 *       {@code streamable.shardingKey} header; else it is another Kafka client's record: its key
 *       (UTF-8) is the sharding key, there is no logCompactId and its headers are read as they are.
 *       Tombstones (null values) of other clients are skipped.</li>
 *   <li><b>createdAt</b>: the record timestamp: the producer's CreateTime, or the broker's
 *       LogAppendTime if the topic is configured with {@code message.timestamp.type=LogAppendTime}.</li>
 *   <li><b>Framework-internal topics</b> ({@code __schemas.<topic>}, the schema registry's log)
 *       are created with one partition, so they replay in one order, and are left out of
 *       {@code listTopics()} like Kafka's own {@code _}-prefixed topics.</li>
 *   <li><b>Position</b>: the record's partition and offset, {@code Position.of(partition, offset)};
 *       a consumer's position merges them, encoded as {@code "0:42,3:17"}.</li>
 *   <li><b>Append</b>: completes when every record is acknowledged by the in-sync replicas, with
 *       their positions. {@code append()} never blocks its caller: the producer runs with
 *       {@code max.block.ms=0}, and an append it cannot take at once (the topic's metadata unknown,
 *       its buffer full, as during an outage) waits in the topic's lane, handed over by one
 *       background thread per connection; later appends to that topic queue behind it, so one
 *       caller's appends keep their order. If the cluster cannot be reached the future fails with
 *       {@link io.streamable.backend.BackendUnavailableException} once the producer's
 *       {@code delivery.timeout.ms} has passed (Kafka's default is 2 minutes; set
 *       {@code kafka.delivery.timeout.ms} to fail sooner). The lanes of one connection hold at most
 *       {@code maxPendingRecords} records and {@code maxPendingBytes} bytes: an append that would
 *       pass either fails at once, nothing of it stored after what the producer took, with a
 *       {@link io.streamable.backend.BackendUnavailableException} that says so; appends accepted
 *       before it are not affected (they are stored, or fail at their delivery timeout). Callers
 *       that wait for their earlier appends meet the bound only if together they keep more in flight.
 *       <br>A multi-record append is not a transaction, but it stops at its first refused record:
 *       records are handed to the producer in order, and one the producer refuses, or one larger
 *       than the topic's {@code max.message.bytes} (checked before sending, since the broker would
 *       refuse it only after later records were stored), fails the append without sending the
 *       rest. What remains open: a record the broker fails <i>after</i> the producer took it, while
 *       later records of the same append and partition are already in a later produce batch; the
 *       idempotent producer may then still store those (it renumbers them). In practice that takes
 *       a delivery timeout that expires between two batches of one append.</li>
 * </ul>
 *
 * <h2>Named consumers: consumer groups</h2>
 * A named consumer is the Kafka consumer group of the same name (classic group protocol), and its
 * saved position is the group's committed offsets on the topic: the committed offset of a
 * partition is the next offset to read, so a saved {@code Position} holds "committed - 1" for every
 * partition where that is at least 0. Offsets are committed only when the framework calls
 * {@code commit} after its handler succeeded (auto-commit is off): at-least-once. A commit also
 * records, for partitions where nothing was handled yet, where the consumer started, so a consumer
 * started at {@code latest} does not fall back to the beginning of a quiet partition on restart.
 * <ul>
 *   <li><b>One live exclusive reader per name and topic.</b> The lease is the group membership: before
 *       joining, a reader looks for live members of the group that read this topic (found by their
 *       client id, {@code streamable~<topic>~...}, or their assignment). If there is one, it waits
 *       up to the session timeout plus 2 s, in case that member crashed and its session is about to
 *       expire, then fails with {@link io.streamable.consume.ConsumerNameInUseException}. Two readers
 *       that check at the same moment both join; after joining each looks again and the younger one
 *       (its client id carries its opening time) leaves and fails, so exactly one keeps the name. A
 *       clean close leaves the group at once.</li>
 *   <li><b>Crash.</b> A crashed process's membership expires after {@code session.timeout.ms}
 *       (10 s unless {@code kafka.session.timeout.ms} says otherwise; the broker's
 *       {@code group.min.session.timeout.ms} is the lower bound, 6 s by default). A successor waits
 *       that long at most, then resumes after the last committed offsets; what the crashed consumer
 *       handled but had not committed is delivered again.</li>
 *   <li><b>Start.</b> Without committed offsets a reader starts where the framework's resolved
 *       start says (the framework turns {@code latest} into "after the head" and clamps a position
 *       beyond the head before the backend sees it). The reader commits those start offsets for
 *       every partition before {@code openReader} returns, so a consumer killed before its first
 *       save resumes there, never at a {@code latest} resolved again later.</li>
 *   <li>One name on several topics is one group with members on each topic; Kafka's assignor gives
 *       each member its own topic's partitions, and a reader seeks back to what it handed out after
 *       every rebalance, so the members do not disturb each other's delivery.</li>
 *   <li><b>Fencing.</b> Ownership of the name is the membership of the group's current
 *       generation. A reader that the group expires (no heartbeat within
 *       {@code session.timeout.ms}, a paused process; no poll within {@code max.poll.interval.ms},
 *       5 minutes unless {@code kafka.max.poll.interval.ms} says otherwise, a handler that runs too
 *       long) has lost its name: Kafka reports it as lost partitions, not as a revoke, and the
 *       reader does not rejoin (its rebalance callback stops the consumer before it sends a
 *       JoinGroup). From then on its reads and commits throw
 *       {@link io.streamable.consume.ConsumerFencedException} and it delivers nothing more, also
 *       none of the records it had already fetched: after a gap of more than a session between two
 *       reads it first confirms its generation with the broker. Commits carry the generation and
 *       the broker refuses a stale one ({@code CommitFailedException}, fenced instance id): such a
 *       refusal fences the reader too, and nothing is saved. A rebalance that only revokes and
 *       reassigns partitions, because a reader of another topic with the same name joined or left,
 *       is not a loss of ownership. A commit refused with {@code RebalanceInProgress} completes
 *       the rebalance (polling, as {@code commitSync}'s contract asks; records fetched meanwhile are
 *       kept for the next read) and commits again, for at most {@code timeout}, so the final save
 *       of a consumer that closes while its group rebalances is not lost. Should that rebalance
 *       give a partition being saved to another member, the reader is fenced and nothing is
 *       saved.</li>
 * </ul>
 * Anonymous readers assign themselves every partition and belong to no group.
 *
 * <h2>Consumer groups: several live consumers of one name</h2>
 * The topic store is a {@link io.streamable.backend.ConsumerGroups}, so the framework starts every
 * named consumer as a member of the Kafka consumer group named after it; the exclusive readers
 * above ({@code TopicStore.openReader}) remain for the SPI's callers.
 * <ul>
 *   <li><b>Slots are partitions</b>: the slot count is the partition count, which the backend never
 *       changes and refuses to find changed (see Options), and a key's slot
 *       ({@link io.streamable.Slots#slotOf}) is its partition: the backend partitions with
 *       {@code Slots.slotOf}, byte for byte Kafka's keyed partitioner.</li>
 *   <li><b>Assignment</b>: classic group protocol with the {@code CooperativeStickyAssignor} only
 *       (set for members whatever {@code kafka.partition.assignment.strategy} says): balanced within
 *       one partition, sticky, and incremental. A rebalance revokes only the partitions that move;
 *       their new owner gets them in a second rebalance, after the old one released them. Members keep
 *       delivering their other partitions throughout. The KIP-848 consumer protocol is not used: its
 *       session timeout is the broker's ({@code group.consumer.session.timeout.ms}, 45 s by default,
 *       not settable by the client), so a crashed member would hold its partitions that long, and the
 *       exclusive readers of the same group id use the classic protocol.</li>
 *   <li><b>Joining</b>: alone on the topic (no live member of the group reads it), a member joins
 *       before {@code joinGroup} returns and owns every partition, with the same start, saved at first
 *       use, as an exclusive reader; beside live members it returns at once and takes its share in the
 *       rebalances its reads run. A member is refused ({@code ConsumerNameInUseException}, after
 *       waiting up to the session timeout + 2 s in case the holder crashed) while an exclusive reader
 *       holds the name on this topic, and an exclusive reader while the group has a live member
 *       there. Members have client ids {@code streamable-member~<topic>~...}, exclusive readers
 *       {@code streamable~<topic>~...}; two that check at the same moment both join, and the younger
 *       one gives way.</li>
 *   <li><b>The barrier</b> is Kafka's revocation callback: it runs inside the member's poll, on the
 *       reading thread, before Kafka releases the partitions, and calls the
 *       {@link io.streamable.backend.RebalanceListener} with the revoked slots
 *       ({@code rewinds=false}: every slot is a partition of its own). The framework waits for the
 *       records in flight and commits from inside it, with the current generation. Kafka's
 *       assignment callback announces added partitions (no drain) and the member starts each at its
 *       committed offset, read after the assignment, so after the old owner's last commit.
 *       Records fetched but not handed out for a revoked partition are dropped (the new owner reads
 *       them). A rebalance that revokes nothing from this member, for example one caused by a reader of
 *       the same name on another topic (one name is one Kafka group across topics), calls no listener
 *       and drains nothing. If the listener throws, the read throws it, but Kafka has released the
 *       revoked partitions anyway (its consumer completes the rebalance); the framework's listener
 *       does not throw.</li>
 *   <li><b>Commits</b> cover the partitions the member owns (revoked ones too while the listener runs)
 *       and are fenced by the generation, as for exclusive readers. A commit never polls, so the
 *       listener runs only from {@code read}: one that meets a rebalance in progress on this client is
 *       held back and sent after the next poll, from the revocation of its partitions, or on close
 *       (polling then, at most 5 s). A member its heartbeat thread took out of the group (no poll within
 *       {@code max.poll.interval.ms}), or whose session expired, is fenced: Kafka reports its
 *       partitions lost, not revoked, it does not rejoin, and its reads and commits throw
 *       {@link io.streamable.consume.ConsumerFencedException}. A member whose last poll is older than
 *       {@code max.poll.interval.ms} is fenced by its next commit without asking the broker: the
 *       client's {@code groupMetadata()} keeps the old generation until it joins again.</li>
 *   <li><b>Debounce</b>: on a new (empty) group the broker waits {@code group.initial.rebalance.delay.ms}
 *       (3 s by default; 0 in the tests) before the first rebalance, so members started together
 *       join in one. After that, Kafka's join phase merges every join and leave that reaches the
 *       coordinator while the members rejoin (they hear of a rebalance with their next heartbeat:
 *       members send one every 250 ms unless {@code kafka.heartbeat.interval.ms} says otherwise).
 *       A member that shares the topic with others waits 300 ms after its final save before it
 *       leaves, so a replacement started just before the old instance stops (a rolling restart) is
 *       part of the same rebalance and only the leaver's partitions move, once.</li>
 *   <li><b>Leases</b>: a crashed member's partitions move after {@code session.timeout.ms} (10 s
 *       unless set), a paused one's after {@code max.poll.interval.ms} without a poll (its heartbeat
 *       thread leaves) or the session timeout if the whole process is stopped; members waiting for
 *       them pause that long.</li>
 *   <li><b>describeGroup</b> reads the group with the admin client: the members reading this topic
 *       (oldest first; member id = client id), their partitions, each partition's committed offset,
 *       owner and lag. {@code savedPosition}, {@code resetPosition} and {@code deleteConsumer} are the
 *       group's committed offsets as before; reset and delete are refused while any member reads the
 *       topic.</li>
 * </ul> Readers read
 * committed data only ({@code isolation.level=read_committed}), so records of transactions aborted
 * by other Kafka clients are never delivered; without transactions this costs nothing.
 *
 * <h2>Retention and starting at an instant (issue 17)</h2>
 * {@code Streamable.configureTopic(topic, Retention)} sets the topic's configs with
 * {@code incrementalAlterConfigs}: {@code maxAge} is {@code retention.ms}, {@code maxBytes} is
 * {@code retention.bytes} (per partition, as Kafka counts), and {@code cleanup.policy} becomes
 * {@code compact,delete} (topics are created {@code compact} only, which never removes by time);
 * {@code Retention.forever()} sets {@code compact} and {@code -1} again. Kafka has no limit by
 * message count: {@code maxMessages} is refused with an {@link java.lang.IllegalArgumentException}.
 * The broker removes whole closed segments (on its retention check, and the log cleaner does it for
 * {@code compact,delete} topics), and when every record of a partition expired it rolls the active
 * segment too, so there the newest record <em>may</em> go; the log end offset stays, so no offset
 * is ever handed out again. {@code TopicStore.enforceRetention()} removes the expired records at
 * once with {@code deleteRecords}, keeping each partition's newest. A named or positioned reader
 * whose start lies below a partition's log start begins at the log start and reports the gap
 * ({@code TopicReader.takeRetentionGaps()}, per partition) when it opens; lag counts from the log
 * start. {@code StartFrom.at(t)} is resolved with {@code ListOffsets} by timestamp (what
 * {@code offsetsForTimes} asks): per partition, after the offset before the first record whose
 * timestamp is at or after {@code t}; the consumer drops later records with earlier timestamps.
 * A group member that gains a partition in a rebalance whose committed offset is below the log
 * start begins at the log start and reports that gap too. Readers' consumers run with
 * {@code auto.offset.reset=none} (whatever the URL says): a reader that falls below a partition's
 * log start <em>while it runs</em> (the consumer's fetch fails with {@code OffsetOutOfRangeException})
 * records the gap, from the offset it was to read to the log start, seeks to the log start and goes
 * on; the next {@code takeRetentionGaps()} reports it, once. A partition without any offset (nothing
 * committed) starts where the reader started, else at its beginning. A group member's lag counts
 * from the larger of its committed offset and the log start.
 *
 * <h2>Log compaction: what Kafka guarantees</h2>
 * Topics the backend creates have {@code cleanup.policy=compact} and no time or size retention
 * until {@code configureTopic} gives them one.
 * <ul>
 *   <li>Compaction is <b>lazy</b>: Kafka's log cleaner removes a record some time after a newer
 *       record with the same key was stored, and never within the active (newest) segment. The
 *       active segment closes when a later record arrives after {@code segment.ms} (7 days by
 *       default) or {@code segment.bytes} (1 GiB); the cleaner then runs when the topic's dirty
 *       ratio exceeds {@code min.cleanable.dirty.ratio} (0.5), or after
 *       {@code max.compaction.lag.ms}. Until then readers see the older records too. Set
 *       {@code topic.segment.ms} and {@code topic.min.cleanable.dirty.ratio} for quicker
 *       compaction.</li>
 *   <li>Compaction is <b>per sharding key and logCompactId</b>, as on every backend: a message with a
 *       logCompactId makes earlier messages with the same sharding key and the same logCompactId
 *       redundant; messages with that id under another sharding key are not affected. The record key
 *       holds both (see Record format), and one sharding key's records share a partition, so Kafka's
 *       per-partition compaction by key gives exactly that, also when two sharding keys share a
 *       partition.</li>
 *   <li>The newest record of a key is never removed, and records without a logCompactId carry a
 *       key used once, so they are never removed. Offsets of removed records stay unused:
 *       positions keep increasing with gaps, and {@code lag} counts offsets, so after compaction it
 *       is an upper bound.</li>
 * </ul>
 *
 * <h2>When the cluster is away</h2>
 * Appends are retried by the producer until {@code delivery.timeout.ms}, then fail with
 * {@link io.streamable.backend.BackendUnavailableException}. Readers keep polling: the Kafka
 * consumer reconnects by itself and delivery resumes where it stopped; commits that fail are
 * reported by the consumer as retrying and made again with the next one.
 */
package io.streamable.backend.kafka;
