/**
 * The service-provider interface a storage backend implements (in-memory, Kafka, MongoDB with
 * Redis, ...). Applications do not call it; they pick a backend by URL.
 *
 * <p>A {@link io.streamable.backend.BackendProvider}, found with {@link java.util.ServiceLoader},
 * turns a {@link io.streamable.backend.BackendUrl} into a {@link io.streamable.backend.Backend};
 * its {@link io.streamable.backend.TopicStore} appends {@link io.streamable.backend.AppendRecord}s
 * and opens {@link io.streamable.backend.TopicReader}s that return
 * {@link io.streamable.backend.StoredRecord}s in {@link io.streamable.backend.ReadBatch}es.
 * A store may also implement {@link io.streamable.backend.ConsumerGroups}: named readers that share a
 * name then split the topic's slots ({@link io.streamable.Slots}) as
 * {@link io.streamable.backend.GroupMemberReader}s, rebalanced through a
 * {@link io.streamable.backend.RebalanceListener}.
 * {@code streamable-tck} holds the contract tests every backend must pass.
 */
package io.streamable.backend;
