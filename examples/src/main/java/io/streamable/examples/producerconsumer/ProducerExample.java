package io.streamable.examples.producerconsumer;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The user's producer script: appends 30 messages {@code {phil, isGreat}} under one sharding key,
 * so every consumer receives them in this order.
 *
 * <pre>STREAMABLE_URL=kafka://localhost:9092 mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.producerconsumer.ProducerExample</pre>
 *
 * <p>On the default {@code memory:} backend the messages live only as long as this process; run
 * {@link ProducerAndConsumer} to see both halves there.
 */
public final class ProducerExample {
    /** The topic both scripts use. */
    public static final Topic<Greeting> GREETINGS = Topic.of("greetings", Greeting.class);
    /** All 30 messages share this key, so their order is kept on every backend. */
    public static final String SHARDING_KEY = "phil";

    private ProducerExample() {
    }

    public static void main(String[] args) {
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            produce(streamable, System.out);
        }
    }

    /** Appends the 30 greetings in one batch and reports it on {@code out}. */
    public static void produce(Streamable streamable, PrintStream out) {
        try (Producer<Greeting> producer = streamable.producer(GREETINGS)) {
            List<OutgoingMessage<Greeting>> batch = new ArrayList<>();
            for (int number = 1; number <= 30; number++) {
                batch.add(OutgoingMessage.of(SHARDING_KEY, new Greeting("phil", true, number)));
            }
            producer.appendAllAndWait(batch);
            out.println("appended " + batch.size() + " greetings under key \"" + SHARDING_KEY + "\"");
        }
    }
}
