/**
 * The {@code mongoredis:} backend: topics stored as MongoDB collections, one document per
 * message, with Redis pub/sub signals that wake waiting consumers. The only public type is
 * {@link io.streamable.backend.mongoredis.MongoRedisBackendProvider}, found through
 * {@link java.util.ServiceLoader}; see this module's README for the URL, layout and design.
 */
package io.streamable.backend.mongoredis;
