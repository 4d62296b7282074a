/**
 * The default payload codec: {@link io.streamable.json.JsonCodecFactory} encodes payloads as JSON
 * with Jackson.
 */
package io.streamable.json;
