package io.streamable.schema;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.codec.PayloadCodecFactory;

/**
 * A payload codec factory the schema registry can work with: every codec it makes encodes and
 * decodes JSON with one Jackson {@link ObjectMapper}. The registry derives each payload type's
 * {@link Schema} from that mapper (so schemas follow its naming strategy and modules), and reads
 * stored payloads as JSON trees with it (to fill in declared defaults and to check schemaless
 * payloads against the latest version).
 *
 * <p>{@link io.streamable.json.JsonCodecFactory}, the default, is one. A factory passed to
 * {@code StreamableBuilder.codecs(...)} that does not implement this interface has no schema
 * support: producers register nothing and stamp no version, and {@code Streamable.schemas()}
 * says so. Implement it on your own factory (a wrapper around {@code JsonCodecFactory}, say)
 * to keep schema support.
 */
public interface SchemaCapableCodecFactory extends PayloadCodecFactory {

    /** {@return the mapper every codec of this factory encodes and decodes JSON with} */
    ObjectMapper objectMapper();
}
