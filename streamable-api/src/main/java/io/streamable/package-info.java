/**
 * The application-facing vocabulary of Streamable Topic: a {@link io.streamable.Topic} names a
 * stream and the payload type it carries, a {@link io.streamable.Message} is one delivered record
 * with its {@link io.streamable.Position}, and {@link io.streamable.StreamableException} is the root
 * of every error the library throws.
 *
 * <p>Producing lives in {@link io.streamable.produce}, consuming in {@link io.streamable.consume};
 * backends implement the SPI in {@link io.streamable.backend}.
 */
package io.streamable;
