/** The in-memory state backend, for {@code memory:} and {@code memory:NAME} URLs. */
package io.streamable.state.memory;
