package io.streamable.backend;

import io.streamable.StreamableException;

/** No backend on the class path handles a URL's scheme; the message lists the schemes found. */
public class BackendNotFoundException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which scheme was asked for and which schemes were found
     */
    public BackendNotFoundException(String message) {
        super(message);
    }
}
