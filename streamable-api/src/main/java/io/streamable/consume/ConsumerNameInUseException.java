package io.streamable.consume;

import io.streamable.StreamableException;

/**
 * Thrown when a named consumer is started while another live consumer with the same name reads
 * the same topic. Two such consumers would process the same messages and race on the saved
 * position, so the second is refused on every backend.
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
                + "\" by a live consumer. Close that consumer first, or give this one another name;"
                + " to scale out, run one named consumer per topic and share state through a state store.");
    }
}
