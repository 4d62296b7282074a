package io.streamable.examples.producerconsumer;

import io.streamable.client.Streamable;

/**
 * Both of the user's scripts in one process, so they share even the default {@code memory:}
 * backend: appends the 30 greetings, then prints them and "caught up".
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.producerconsumer.ProducerAndConsumer</pre>
 */
public final class ProducerAndConsumer {

    private ProducerAndConsumer() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            ProducerExample.produce(streamable, System.out);
            ConsumerExample.consumeUntilCaughtUp(streamable, System.out);
        }
    }
}
