package io.streamable.consume;

/**
 * Told each time the slots a member of a consumer group owns have changed: the counterpart of
 * Kafka's {@code ConsumerRebalanceListener} (its {@code onPartitionsRevoked} and
 * {@code onPartitionsAssigned} in one call). See {@link ConsumerBuilder#onAssignmentChange}.
 */
@FunctionalInterface
public interface AssignmentListener {

    /**
     * Called on the consumer's read thread, once per change of the slots it owns, after the
     * change took effect and before any message of an assigned slot is handed to the handler;
     * keep it short (the consumer reads nothing meanwhile). What it throws is logged and ignored.
     *
     * @param change the slots owned before and now
     */
    void assignmentChanged(AssignmentChange change);
}
