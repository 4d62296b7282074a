/** The Redis state backend for {@code redis://} URLs; see {@link io.streamable.state.redis.RedisStateStoreProvider}. */
package io.streamable.state.redis;
