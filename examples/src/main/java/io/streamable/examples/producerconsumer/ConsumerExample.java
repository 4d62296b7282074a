package io.streamable.examples.producerconsumer;

import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The user's consumer script: prints every greeting from the beginning of the topic and
 * "caught up" each time it has drained the topic, then keeps waiting for new ones (Ctrl-C to stop).
 * With {@code --until-caught-up} it exits after the first drain.
 *
 * <pre>STREAMABLE_URL=kafka://localhost:9092 mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.producerconsumer.ConsumerExample</pre>
 */
public final class ConsumerExample {

    private ConsumerExample() {
    }

    public static void main(String[] args) throws InterruptedException {
        boolean untilCaughtUp = args.length > 0 && args[0].equals("--until-caught-up");
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            if (streamable.backend().describe().equals("memory:")) {
                System.err.println("Note: memory: keeps messages inside one process; run ProducerAndConsumer,"
                        + " or set STREAMABLE_URL to a server backend to consume what ProducerExample wrote.");
            }
            if (untilCaughtUp) {
                consumeUntilCaughtUp(streamable, System.out);
            } else {
                CountDownLatch never = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(never::countDown));
                try (Consumer<Greeting> consumer = start(streamable, System.out, () -> { })) {
                    never.await();
                }
            }
        }
    }

    /** Prints every stored greeting and "caught up", then stops. */
    public static void consumeUntilCaughtUp(Streamable streamable, PrintStream out) throws InterruptedException {
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Greeting> consumer = start(streamable, out, caughtUp::countDown)) {
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The consumer did not catch up within 60 s; is the backend reachable?");
            }
        }
    }

    private static Consumer<Greeting> start(Streamable streamable, PrintStream out, Runnable whenCaughtUp) {
        return streamable.consumer(ProducerExample.GREETINGS)
                .startFrom(StartFrom.beginning())
                .handler(message -> {
                    Greeting greeting = message.payload();
                    out.println(greeting.name() + (greeting.isGreat() ? " is great" : " is not great")
                            + " #" + greeting.number() + " (key " + message.shardingKey() + ")");
                })
                .onCaughtUp(() -> {
                    out.println("caught up");
                    whenCaughtUp.run();
                })
                .start();
    }
}
