package io.streamable.state;

import io.streamable.StreamableException;

/** No state store provider on the class path handles a URL's scheme. */
public class StateBackendNotFoundException extends StreamableException {
    private static final long serialVersionUID = 1L;

    public StateBackendNotFoundException(String message) {
        super(message);
    }
}
