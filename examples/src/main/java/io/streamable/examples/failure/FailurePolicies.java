package io.streamable.examples.failure;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.FailurePolicy;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What a consumer does when its handler throws: the same four payments, one of them invalid,
 * consumed under each failure policy.
 * <ol>
 *   <li>stop (the default): retried, then the consumer stops <em>before</em> the bad payment, so
 *       a restart delivers it again;</li>
 *   <li>skip: retried, reported, passed over;</li>
 *   <li>dead-letter: retried, then moved with its original bytes to {@code payments.dlq}, where a
 *       second consumer reads it with headers saying where it came from and why it failed.</li>
 * </ol>
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.failure.FailurePolicies</pre>
 */
public final class FailurePolicies {

    /** A payment; a negative amount is invalid and makes the handler throw. */
    public record Payment(String id, long cents) {
    }

    /** The payments topic. */
    public static final Topic<Payment> PAYMENTS = Topic.of("payments", Payment.class);
    /** Where the dead-letter consumer moves what it cannot handle. */
    public static final Topic<Payment> PAYMENTS_DLQ = Topic.of("payments.dlq", Payment.class);

    /** Quick retries, so the example does not wait long. */
    private static final FailurePolicy THREE_QUICK_ATTEMPTS = FailurePolicy.retry(3)
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(40));

    private FailurePolicies() {
    }

    public static void main(String[] args) throws Exception {
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            run(streamable, System.out);
        }
    }

    /** Runs the three policies over the same payments; reports on {@code out}. */
    public static void run(Streamable streamable, PrintStream out) throws Exception {
        try (Producer<Payment> producer = streamable.producer(PAYMENTS)) {
            producer.appendAndWait("customer-7", new Payment("p1", 500));
            producer.appendAndWait("customer-7", new Payment("p2", -1));
            producer.appendAndWait("customer-7", new Payment("p3", 250));
            producer.appendAndWait("customer-7", new Payment("p4", 125));
        }
        out.println("appended p1, p2 (invalid), p3, p4");

        out.println("-- stop (the default policy)");
        Consumer<Payment> stopping = streamable.consumer(PAYMENTS)
                .startFrom(StartFrom.beginning())
                .handler(message -> charge(message.payload(), out))
                .failurePolicy(THREE_QUICK_ATTEMPTS.thenStop())
                .onFailure(failure -> out.println("  " + failure.outcome() + " after " + failure.attempts()
                        + " attempts: " + failure.cause().getMessage()))
                .start();
        try {
            stopping.stopped().get(60, TimeUnit.SECONDS);
            out.println("  the consumer was closed");
        } catch (ExecutionException stopped) {
            out.println("  the consumer stopped; it did not pass p2, so a restart delivers p2 again");
        } catch (TimeoutException e) {
            throw new IllegalStateException("the stopping consumer neither stopped nor failed within 60 s", e);
        } finally {
            stopping.close();
        }

        out.println("-- skip");
        consumeUntilCaughtUp(streamable, PAYMENTS, THREE_QUICK_ATTEMPTS.thenSkip(), out, false);

        out.println("-- dead-letter to " + PAYMENTS_DLQ.name());
        consumeUntilCaughtUp(streamable, PAYMENTS, THREE_QUICK_ATTEMPTS.thenDeadLetter(PAYMENTS_DLQ.name()), out, false);

        out.println("-- reading " + PAYMENTS_DLQ.name());
        consumeUntilCaughtUp(streamable, PAYMENTS_DLQ, THREE_QUICK_ATTEMPTS.thenStop(), out, true);
    }

    private static void consumeUntilCaughtUp(Streamable streamable, Topic<Payment> topic, FailurePolicy policy,
                                             PrintStream out, boolean deadLetters) throws InterruptedException {
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Payment> consumer = streamable.consumer(topic)
                .startFrom(StartFrom.beginning())
                .handler(message -> {
                    if (deadLetters) {
                        out.println("  dead letter " + message.payload().id() + " from topic "
                                + message.header(FailurePolicy.DLQ_SOURCE_TOPIC).orElse("?") + ", error: "
                                + message.header(FailurePolicy.DLQ_ERROR).orElse("?"));
                    } else {
                        charge(message.payload(), out);
                    }
                })
                .failurePolicy(policy)
                .onFailure(failure -> out.println("  " + failure.outcome() + " after " + failure.attempts()
                        + " attempts: " + failure.cause().getMessage()))
                .onCaughtUp(caughtUp::countDown)
                .start()) {
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the consumer of " + topic.name() + " did not catch up within 60 s");
            }
        }
    }

    private static void charge(Payment payment, PrintStream out) {
        if (payment.cents() < 0) {
            throw new IllegalArgumentException("payment " + payment.id() + " has a negative amount");
        }
        out.println("  charged " + payment.id() + ": " + payment.cents() + " cents");
    }
}
