package io.streamable.codec;

import io.streamable.StreamableException;

/**
 * A payload could not be encoded, or stored bytes could not be decoded to the consumer's type.
 * A consumer treats an undecodable message as a poison message: its failure policy decides
 * whether to stop, skip or dead-letter it; it is never retried.
 */
public class PayloadCodecException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which payload or message could not be converted, and why
     * @param cause   the codec's own error
     */
    public PayloadCodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
