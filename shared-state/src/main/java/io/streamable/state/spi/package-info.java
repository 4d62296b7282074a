/**
 * The state backend SPI: what a module implements to store {@link io.streamable.state.StateStore}
 * data somewhere. Applications use {@link io.streamable.state.SharedState} instead.
 */
package io.streamable.state.spi;
