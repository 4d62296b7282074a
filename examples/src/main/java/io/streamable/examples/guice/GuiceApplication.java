package io.streamable.examples.guice;

import com.google.inject.Guice;
import com.google.inject.Inject;
import com.google.inject.Injector;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.streamable.consume.Consumer;
import io.streamable.consume.ConsumerBuilder;
import io.streamable.guice.StreamTopic;
import io.streamable.guice.StreamableModule;
import io.streamable.guice.StreamableService;
import io.streamable.micrometer.StreamableMetrics;
import io.streamable.produce.Producer;

import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An application wired with Guice: the backend comes from configuration ({@code STREAMABLE_URL},
 * default {@code memory:}), services get typed producers and consumer builders injected by topic
 * name, Micrometer counts what flows, and one {@code close()} on stop closes it all.
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.guice.GuiceApplication</pre>
 */
public final class GuiceApplication {

    /** An invoice to send. */
    public record Invoice(String id, long cents) {
    }

    /** Issues invoices; knows nothing of backends or URLs. */
    static final class Invoicing {
        private final Producer<Invoice> invoices;

        @Inject
        Invoicing(@StreamTopic("invoices") Producer<Invoice> invoices, StreamableMetrics metrics) {
            this.invoices = metrics.producer(invoices);
        }

        void issue(String customer, Invoice invoice) {
            invoices.appendAndWait(customer, invoice);
        }
    }

    /** Sends issued invoices, as a named consumer that resumes after a restart. */
    static final class Mailer {
        private final ConsumerBuilder<Invoice> consumer;

        @Inject
        Mailer(@StreamTopic("invoices") ConsumerBuilder<Invoice> consumer) {
            this.consumer = consumer;
        }

        Consumer<Invoice> start(PrintStream out, Runnable whenCaughtUp) {
            return consumer.name("mailer")
                    .handler(message -> out.println("mailed " + message.payload().id() + " to "
                            + message.shardingKey()))
                    .onCaughtUp(whenCaughtUp)
                    .start();
        }
    }

    private GuiceApplication() {
    }

    public static void main(String[] args) throws InterruptedException {
        run(System.out);
    }

    /** Starts the application, issues three invoices, mails them, reports metrics and stops. */
    public static void run(PrintStream out) throws InterruptedException {
        MeterRegistry registry = new SimpleMeterRegistry();
        StreamableMetrics metrics = StreamableMetrics.using(registry);
        Injector injector = Guice.createInjector(
                StreamableModule.builder().fromEnvironment().topic("invoices", Invoice.class).build(),
                binder -> binder.bind(StreamableMetrics.class).toInstance(metrics));
        StreamableService service = injector.getInstance(StreamableService.class);
        System.err.println("Backend: " + service.streamable());
        try {
            Invoicing invoicing = injector.getInstance(Invoicing.class);
            invoicing.issue("customer-1", new Invoice("inv-1", 1200));
            invoicing.issue("customer-1", new Invoice("inv-2", 800));
            invoicing.issue("customer-1", new Invoice("inv-3", 450));

            CountDownLatch caughtUp = new CountDownLatch(1);
            injector.getInstance(Mailer.class).start(out, caughtUp::countDown);
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the mailer did not catch up within 60 s");
            }
            out.println("invoices produced (metric streamable.produced): "
                    + (long) registry.get(StreamableMetrics.PRODUCED).tag("result", "success").counter().count());
        } finally {
            // what an application's stop hook does: the mailer saves its position and stops, connections close
            service.close();
        }
        out.println("stopped");
    }
}
