/**
 * Writing to a topic: a {@link io.streamable.produce.Producer} sends payloads, or
 * {@link io.streamable.produce.OutgoingMessage}s when a message needs a key or headers;
 * {@link io.streamable.produce.ProducerInterceptor}s see every message on its way out.
 */
package io.streamable.produce;
