package io.streamable;

/**
 * Base class of every exception Streamable Topic throws on purpose. Messages say what went wrong
 * and what to do about it; they never contain credentials.
 */
public class StreamableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and what to do about it
     */
    public StreamableException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong and what to do about it
     * @param cause   the underlying failure
     */
    public StreamableException(String message, Throwable cause) {
        super(message, cause);
    }
}
