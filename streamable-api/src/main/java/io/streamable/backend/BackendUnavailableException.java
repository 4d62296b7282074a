package io.streamable.backend;

import io.streamable.StreamableException;

/**
 * The backend's servers cannot be reached or refused the operation for a transient reason.
 * Producers see it on their futures; consumers report it and keep retrying with backoff.
 */
public class BackendUnavailableException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what could not be reached, and what the caller can do
     * @param cause   the backend client's own error
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
