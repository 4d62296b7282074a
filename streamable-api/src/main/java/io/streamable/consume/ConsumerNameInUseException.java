package io.streamable.consume;

import io.streamable.StreamableException;

/**
 * Thrown when a name is in exclusive use: a named consumer started on a backend without consumer
 * groups while another live consumer with the same name reads the same topic (two such consumers
 * would process the same messages and race on the saved position), an exclusive reader opened
 * while the name's group has live members, or an administrative change (reset, delete) asked for
 * while a live consumer holds the name. On a backend with consumer groups, consumers that share a
 * name split the topic instead.
 */
public class ConsumerNameInUseException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception, with a message that says how to resolve the conflict.
     *
     * @param topic        the topic both consumers read
     * @param consumerName the name already in use
     */
    public ConsumerNameInUseException(String topic, String consumerName) {
        super("Consumer name \"" + consumerName + "\" is already in use on topic \"" + topic
                + "\" by a live consumer. Close that consumer first, or give this one another name"
                + " (on a backend with consumer groups, consumers that share a name split the topic's work).");
    }
}
