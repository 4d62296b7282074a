/**
 * The entry point: {@link io.streamable.client.Streamable#builder()} picks a backend by URL and
 * builds a {@link io.streamable.client.Streamable}, which hands out producers and consumers for
 * topics and closes them all when it is closed. {@link io.streamable.client.ProviderLookup} finds
 * plug-ins by URL scheme for Streamable Topic's own modules (topic backends, shared-state stores).
 * Every other class here is package-private: the engine behind it (consumer loop, dispatcher,
 * commit tracker, failure handling) and the engine of the schema registry, whose public face is
 * {@link io.streamable.schema}.
 */
package io.streamable.client;
