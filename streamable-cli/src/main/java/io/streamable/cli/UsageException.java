package io.streamable.cli;

/**
 * A command line that cannot work as given (options that exclude each other, a value out of
 * range, a URL with no backend in this tool): exit code {@value StreamableCli#USAGE}, like the
 * errors picocli finds while parsing. The message says what to change.
 */
final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
