package io.streamable.examples.producerconsumer;

/**
 * The payload of the user's two scripts: {@code {phil, isGreat}}, numbered so the order is visible.
 *
 * @param name    who is great
 * @param isGreat whether they are
 * @param number  1 to 30, in append order
 */
public record Greeting(String name, boolean isGreat, int number) {
}
