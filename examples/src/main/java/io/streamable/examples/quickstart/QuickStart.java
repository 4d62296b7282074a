package io.streamable.examples.quickstart;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;

import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A producer and a consumer on the configured backend ({@code memory:} unless
 * {@code STREAMABLE_URL} says otherwise): append a few typed messages, stream them with a named
 * consumer, and stop once it has caught up.
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java</pre>
 */
public final class QuickStart {

    /** The payload: a plain record, encoded as JSON. */
    public record Greeting(String name, boolean isGreat, Instant at) {
    }

    private QuickStart() {
    }

    public static void main(String[] args) throws InterruptedException {
        Topic<Greeting> greetings = Topic.of("greetings", Greeting.class);
        try (Streamable streamable = Streamable.open()) {
            System.out.println("Backend: " + streamable);
            try (Producer<Greeting> producer = streamable.producer(greetings)) {
                for (String name : new String[] {"phil", "ada", "grace"}) {
                    var position = producer.appendAndWait(name, new Greeting(name, true, Instant.now()));
                    System.out.println("appended " + name + " at position " + position);
                }
            }

            CountDownLatch caughtUp = new CountDownLatch(1);
            try (Consumer<Greeting> consumer = streamable.consumer(greetings)
                    .name("quickstart-printer")
                    .startFrom(StartFrom.beginning())
                    .handler(message -> System.out.println("consumed " + message.payload().name()
                            + " (key " + message.shardingKey() + ", position " + message.position() + ")"))
                    .onCaughtUp(caughtUp::countDown)
                    .start()) {
                if (!caughtUp.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("The consumer did not catch up within 30 s");
                }
                System.out.println("caught up; lag " + consumer.lag() + ", saved position " + consumer.position().orElseThrow());
            }
        }
    }
}
