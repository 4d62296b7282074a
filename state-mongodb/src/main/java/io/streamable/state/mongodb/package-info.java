/** The MongoDB state backend for {@code mongodb://} URLs; see {@link io.streamable.state.mongodb.MongoStateStoreProvider}. */
package io.streamable.state.mongodb;
