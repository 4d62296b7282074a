/**
 * Reading a topic: a {@link io.streamable.consume.ConsumerBuilder} configures where a
 * {@link io.streamable.consume.Consumer} starts ({@link io.streamable.consume.StartFrom}), which
 * {@link io.streamable.consume.MessageHandler} it calls, and what happens when the handler fails
 * ({@link io.streamable.consume.FailurePolicy}, {@link io.streamable.consume.FailureListener}).
 *
 * <p>A named consumer remembers its position. Instances started with the same name on one topic
 * form a consumer group and split its sharding keys ({@link io.streamable.consume.GroupAssignment}),
 * and each is told when its share changes ({@link io.streamable.consume.AssignmentChange});
 * a backend without consumer groups admits one live instance per name
 * ({@link io.streamable.consume.ConsumerNameInUseException}); an instance paused past its lease is
 * fenced ({@link io.streamable.consume.ConsumerFencedException}).
 */
package io.streamable.consume;
