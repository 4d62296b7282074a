/**
 * Shared state: typed keyed {@link io.streamable.state.StateStore}s with optimistic concurrency
 * and apply-once updates by source position, opened through {@link io.streamable.state.SharedState}.
 * See {@link io.streamable.state.StateStore} for the apply-once invariant.
 */
package io.streamable.state;
