package io.streamable.consume;

/** Receives the failures a consumer reports; called on the consumer's thread, keep it short. */
@FunctionalInterface
public interface FailureListener {
    void onFailure(ConsumerFailure failure);
}
