/**
 * The entry point: {@link io.streamable.client.Streamable#builder()} picks a backend by URL and
 * builds a {@link io.streamable.client.Streamable}, which hands out producers and consumers for
 * topics and closes them all when it is closed. The other classes here are the engine behind it
 * and are not meant for applications.
 */
package io.streamable.client;
