package io.streamable.state;

import io.streamable.StreamableException;

/**
 * An update lost the race for its key to other writers on every attempt. Nothing was written by
 * the failed call. Retry it later, raise {@link SharedStateBuilder#maxAttempts(int)}, or spread
 * the writes over more keys.
 */
public class StateConflictException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception, with a message that says what to do.
     *
     * @param store    the state store's name
     * @param key      the key that could not be updated
     * @param attempts how many attempts were made
     */
    public StateConflictException(String store, String key, int attempts) {
        super("Update of key \"" + key + "\" in state store \"" + store + "\" lost to concurrent writers " + attempts
                + " times in a row and was given up; nothing was written. Retry it, raise maxAttempts, or spread"
                + " the writes over more keys.");
    }
}
