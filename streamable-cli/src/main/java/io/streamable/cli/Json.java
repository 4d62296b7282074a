package io.streamable.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Message;
import io.streamable.PayloadType;
import io.streamable.Topic;
import io.streamable.json.JsonCodecFactory;

/** The CLI's JSON: payloads are read and written as Jackson trees, so any JSON goes through as is. */
final class Json {
    static final ObjectMapper MAPPER = JsonCodecFactory.newObjectMapper();

    private Json() {
    }

    /** A handle on a topic whose payloads are read and written as JSON trees. */
    static Topic<JsonNode> topic(String name) {
        return Topic.of(name, PayloadType.of(JsonNode.class));
    }

    /** One message as a JSON line. */
    static String line(Message<JsonNode> message) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("topic", message.topic());
        node.put("position", message.position().encode());
        node.put("createdAt", message.createdAt().toString());
        node.put("shardingKey", message.shardingKey());
        message.logCompactId().ifPresent(id -> node.put("logCompactId", id));
        ObjectNode headers = node.putObject("headers");
        message.headers().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(header -> headers.put(header.getKey(), header.getValue()));
        node.set("payload", message.payload());
        return write(node);
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("Could not write JSON: " + e.getOriginalMessage(), e);
        }
    }
}
