package io.streamable.state;

import io.streamable.StreamableException;

/** No state store provider on the class path handles a URL's scheme. */
public class StateBackendNotFoundException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was not found, and what to add to the class path
     */
    public StateBackendNotFoundException(String message) {
        super(message);
    }
}
