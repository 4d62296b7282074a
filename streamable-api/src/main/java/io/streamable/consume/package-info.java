/**
 * Reading a topic: a {@link io.streamable.consume.ConsumerBuilder} configures where a
 * {@link io.streamable.consume.Consumer} starts ({@link io.streamable.consume.StartFrom}), which
 * {@link io.streamable.consume.MessageHandler} it calls, and what happens when the handler fails
 * ({@link io.streamable.consume.FailurePolicy}, {@link io.streamable.consume.FailureListener}).
 *
 * <p>A named consumer remembers its position; only one instance of a name may run at a time
 * ({@link io.streamable.consume.ConsumerNameInUseException},
 * {@link io.streamable.consume.ConsumerFencedException}).
 */
package io.streamable.consume;
