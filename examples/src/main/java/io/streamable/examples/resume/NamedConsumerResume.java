package io.streamable.examples.resume;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A named consumer remembers where it stopped: the "billing" consumer handles orders 1-5 and is
 * stopped (as when its service is redeployed); orders 6-8 arrive meanwhile; a new consumer with
 * the same name handles exactly 6-8, nothing twice, nothing lost.
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.resume.NamedConsumerResume</pre>
 *
 * <p>On a server backend ({@code STREAMABLE_URL=...}) the saved position also survives the
 * process: a second run's first consumer starts after the orders the first run billed.
 */
public final class NamedConsumerResume {

    /** An order to bill. */
    public record Order(String id, long cents) {
    }

    /** The topic of orders. */
    public static final Topic<Order> ORDERS = Topic.of("orders", Order.class);

    private NamedConsumerResume() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            run(streamable, System.out);
        }
    }

    /** Bills, stops, appends more, resumes; reports on {@code out}. */
    public static void run(Streamable streamable, PrintStream out) throws InterruptedException {
        try (Producer<Order> producer = streamable.producer(ORDERS)) {
            for (int i = 1; i <= 5; i++) {
                producer.appendAndWait("shop-1", new Order("order-" + i, i * 100L));
            }
            out.println("appended order-1 to order-5");

            billUntilCaughtUp(streamable, out, "first run");
            out.println("billing stopped");

            for (int i = 6; i <= 8; i++) {
                producer.appendAndWait("shop-1", new Order("order-" + i, i * 100L));
            }
            out.println("appended order-6 to order-8 while billing was stopped");

            billUntilCaughtUp(streamable, out, "second run");
        }
    }

    private static void billUntilCaughtUp(Streamable streamable, PrintStream out, String run)
            throws InterruptedException {
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Order> billing = streamable.consumer(ORDERS)
                .name("billing")                        // the position is saved under this name
                .startFrom(StartFrom.beginning())       // used only when nothing is saved yet
                .handler(message -> out.println(run + ": billed " + message.payload().id()
                        + " for " + message.payload().cents() + " cents"))
                .onCaughtUp(caughtUp::countDown)
                .start()) {
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("billing did not catch up within 60 s");
            }
            out.println(run + ": caught up, lag " + billing.lag());
        } // close() saves the position of everything billed
    }
}
