package io.streamable.consume;

/**
 * Receives the failures a consumer reports. Called on the thread where the failure happened (a
 * handler thread, or the consumer's reading thread for backend problems), with
 * {@code concurrency(n)} possibly from several threads at once: keep it short and thread-safe.
 */
@FunctionalInterface
public interface FailureListener {
    /**
     * Called once per reported failure.
     *
     * @param failure what failed, where and how the consumer reacts
     */
    void onFailure(ConsumerFailure failure);
}
