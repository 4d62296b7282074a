package io.streamable.examples.schema;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.streamable.Message;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import io.streamable.schema.IncompatibleSchemaException;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Typed payloads that evolve safely. A topic's payload type changes twice: adding an optional
 * property is accepted; adding a required one is rejected with a report before anything is
 * written; the fixed type (a default) is accepted. Then a sealed interface carries versions side
 * by side, and upcasters let a handler see only the newest.
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.schema.SchemaEvolution</pre>
 */
public final class SchemaEvolution {

    /** The first shape of an order. */
    public record OrderV1(String id, long cents) {
    }

    /** Adds an optional note: compatible, old messages simply have none. */
    public record OrderV2(String id, long cents, Optional<String> note) {
    }

    /** Adds a required currency: old messages have none, so this type could not read them. */
    public record OrderV3Broken(String id, long cents, Optional<String> note, String currency) {
    }

    /** The fix: the currency has a default, which consumers fill in for old messages. */
    public record OrderV3(String id, long cents, Optional<String> note,
                          @JsonProperty(defaultValue = "EUR") String currency) {
    }

    /** Versions side by side: each record is one version of the event. */
    public sealed interface PaymentTaken permits PaymentTakenV1, PaymentTakenV2 {
    }

    /** Version 1: cents. */
    public record PaymentTakenV1(String orderId, long cents) implements PaymentTaken {
    }

    /** Version 2: a decimal amount and a currency, a deliberate break written as a new record. */
    public record PaymentTakenV2(String orderId, BigDecimal amount, String currency) implements PaymentTaken {
    }

    private SchemaEvolution() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Streamable streamable = Streamable.builder().fromEnvironment()
                .upcaster(PaymentTakenV1.class, PaymentTakenV2.class,
                        v1 -> new PaymentTakenV2(v1.orderId(), BigDecimal.valueOf(v1.cents(), 2), "EUR"))
                .build()) {
            System.out.println("Backend: " + streamable);
            String orders = "example.schema.orders";

            write(streamable, Topic.of(orders, OrderV1.class), new OrderV1("o-1", 1250));
            write(streamable, Topic.of(orders, OrderV2.class), new OrderV2("o-2", 990, Optional.of("gift wrap")));

            System.out.println("\n--- Opening a producer with a required new property ---");
            try (Producer<OrderV3Broken> producer = streamable.producer(Topic.of(orders, OrderV3Broken.class))) {
                throw new IllegalStateException("expected " + producer + " to be rejected");
            } catch (IncompatibleSchemaException rejected) {
                System.out.println(rejected.getMessage());
            }

            System.out.println("\n--- The fixed type, with a default ---");
            write(streamable, Topic.of(orders, OrderV3.class), new OrderV3("o-3", 4000, Optional.empty(), "USD"));
            for (SchemaVersion version : streamable.schemas().versions(orders)) {
                System.out.println("version " + version.version() + ": " + version.typeName());
            }
            readAll(streamable, Topic.of(orders, OrderV3.class));

            System.out.println("\n--- Versions side by side, upcast to the newest ---");
            Topic<PaymentTaken> payments = Topic.of("example.schema.payments", PaymentTaken.class);
            try (Producer<PaymentTaken> producer = streamable.producer(payments)) {
                producer.appendAndWait("o-1", new PaymentTakenV1("o-1", 1250));
                producer.appendAndWait("o-3", new PaymentTakenV2("o-3", new BigDecimal("40.00"), "USD"));
            }
            readAll(streamable, Topic.of(payments.name(), PaymentTakenV2.class));
        }
    }

    private static <T> void write(Streamable streamable, Topic<T> topic, T payload) {
        try (Producer<T> producer = streamable.producer(topic)) {
            var position = producer.appendAndWait("orders", payload);
            System.out.println("appended " + payload + " at position " + position);
        }
    }

    private static <T> void readAll(Streamable streamable, Topic<T> topic) throws InterruptedException {
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<T> consumer = streamable.consumer(topic)
                .startFrom(StartFrom.beginning())
                .handler((Message<T> message) -> System.out.println("read as " + topic.payloadType() + " (written with"
                        + " version " + message.header(SchemaRegistry.VERSION_HEADER).orElse("?") + "): " + message.payload()))
                .onCaughtUp(caughtUp::countDown)
                .start()) {
            if (!caughtUp.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The consumer did not catch up within 30 s");
            }
        }
    }
}
