package io.streamable.json;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.fasterxml.jackson.module.paramnames.ParameterNamesModule;
import io.streamable.PayloadType;
import io.streamable.codec.PayloadCodec;
import io.streamable.codec.PayloadCodecException;
import io.streamable.schema.SchemaCapableCodecFactory;

import java.io.IOException;
import java.util.Objects;

/**
 * JSON payloads through Jackson, set up for modern Java: records, {@link java.util.Optional},
 * {@code java.time} types as ISO-8601 strings, constructor parameter names. Unknown properties are
 * ignored when decoding, so removing a property from a payload type stays backward compatible
 * with stored data. It supports the schema registry (see {@link SchemaCapableCodecFactory}).
 */
public final class JsonCodecFactory implements SchemaCapableCodecFactory {
    private static final JsonCodecFactory DEFAULTS = new JsonCodecFactory(newObjectMapper());

    private final ObjectMapper mapper;

    private JsonCodecFactory(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** {@return the factory with the framework's standard {@link ObjectMapper}} */
    public static JsonCodecFactory defaults() {
        return DEFAULTS;
    }

    /**
     * A factory over your own mapper, for custom modules or naming strategies.
     *
     * @param mapper the mapper the codecs use; configure it before passing it, it is not copied
     * @return a factory over {@code mapper}
     */
    public static JsonCodecFactory using(ObjectMapper mapper) {
        return new JsonCodecFactory(Objects.requireNonNull(mapper, "mapper"));
    }

    /**
     * A new mapper configured the way the framework's default is.
     *
     * @return a mapper configured the way the framework's default is, to customise and pass to {@link #using}
     */
    public static ObjectMapper newObjectMapper() {
        return new ObjectMapper()
                .registerModule(new Jdk8Module())
                .registerModule(new JavaTimeModule())
                .registerModule(new ParameterNamesModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** {@return the mapper this factory's codecs use} */
    @Override
    public ObjectMapper objectMapper() {
        return mapper;
    }

    @Override
    public <T> PayloadCodec<T> codecFor(PayloadType<T> type) {
        JavaType javaType = mapper.constructType(type.type());
        return new JsonCodec<>(mapper.writerFor(javaType), mapper.readerFor(javaType), type);
    }

    private static String describe(IOException e) {
        return e instanceof com.fasterxml.jackson.core.JsonProcessingException json
                ? json.getOriginalMessage() : e.getMessage();
    }

    private record JsonCodec<T>(ObjectWriter writer, ObjectReader reader, PayloadType<T> type)
            implements PayloadCodec<T> {

        @Override
        public byte[] encode(T payload) {
            try {
                return writer.writeValueAsBytes(payload);
            } catch (IOException e) {
                throw new PayloadCodecException("Could not encode a " + payload.getClass().getName() + " as JSON for "
                        + type + ": " + describe(e) + ". Make the type a record or a bean with getters"
                        + " (register a Jackson module for unusual field types).", e);
            }
        }

        @Override
        public boolean writesJson() {
            return true;
        }

        @Override
        public T decode(byte[] bytes) {
            try {
                return reader.readValue(bytes);
            } catch (IOException e) {
                throw new PayloadCodecException("Could not decode JSON as " + type + ": "
                        + describe(e), e);
            }
        }
    }
}
