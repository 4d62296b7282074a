package io.streamable.consume;

import io.streamable.StreamableException;

/**
 * The consumer lost ownership of its name: its lease expired (the process was paused or cut off
 * from the backend for longer than the lease allows) and another consumer took the name over.
 * Nothing this consumer handles from then on is acknowledged; it stops, and the new owner
 * resumes after the last position this one saved. Start it again to compete for the name.
 */
public class ConsumerFencedException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * @param topic        the topic
     * @param consumerName the name that was taken over
     * @param detail       what the backend found, for example the epochs involved
     */
    public ConsumerFencedException(String topic, String consumerName, String detail) {
        super("Consumer \"" + consumerName + "\" of topic \"" + topic + "\" no longer owns its name (" + detail
                + "): another consumer took it over after this one's lease expired, so this one stops without"
                + " saving its position. Keep handlers and pauses shorter than the lease, or raise the lease time.");
    }
}
