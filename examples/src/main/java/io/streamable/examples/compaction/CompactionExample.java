package io.streamable.examples.compaction;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.OutgoingMessage;
import io.streamable.produce.Producer;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Log compaction: each balance update carries the account id as its {@code logCompactId}, so a
 * newer update makes the older ones of that account removable. A reader from the beginning then
 * sees, per account, only the newest balance; updates without an id (the audit note) stay.
 *
 * <pre>mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.compaction.CompactionExample</pre>
 *
 * <p>The in-memory and MongoRedis backends compact as the newer message is stored. Kafka compacts
 * later, in the broker's log cleaner, so right after appending a reader may still see old values;
 * the folded balances are the same either way.
 */
public final class CompactionExample {

    /** An account's balance after an update. */
    public record Balance(String account, long cents) {
    }

    /** The topic of balances, compacted by account. */
    public static final Topic<Balance> BALANCES = Topic.of("balances", Balance.class);

    private CompactionExample() {
    }

    public static void main(String[] args) throws InterruptedException {
        try (Streamable streamable = Streamable.open()) {
            System.err.println("Backend: " + streamable);
            run(streamable, System.out);
        }
    }

    /** Appends updates, then reads the topic from the beginning; reports on {@code out}. */
    public static void run(Streamable streamable, PrintStream out) throws InterruptedException {
        try (Producer<Balance> producer = streamable.producer(BALANCES)) {
            String[][] updates = {{"alice", "100"}, {"bob", "50"}, {"alice", "80"}, {"carol", "10"},
                {"bob", "75"}, {"alice", "120"}};
            for (String[] update : updates) {
                producer.appendAndWait(OutgoingMessage.of("bank", new Balance(update[0], Long.parseLong(update[1])))
                        .withLogCompactId(update[0]));
            }
            // no logCompactId: never compacted away
            producer.appendAndWait("bank", new Balance("audit-note", 0));
            out.println("appended " + (updates.length + 1) + " messages: 6 balance updates of 3 accounts, 1 audit note");
        }

        Map<String, Long> folded = new TreeMap<>();
        CountDownLatch caughtUp = new CountDownLatch(1);
        try (Consumer<Balance> reader = streamable.consumer(BALANCES)
                .startFrom(StartFrom.beginning())
                .handler(message -> {
                    out.println("read " + message.payload().account() + " = " + message.payload().cents()
                            + message.logCompactId().map(id -> " (logCompactId " + id + ")").orElse(" (no logCompactId)"));
                    folded.put(message.payload().account(), message.payload().cents());
                })
                .onCaughtUp(caughtUp::countDown)
                .start()) {
            if (!caughtUp.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the reader did not catch up within 60 s");
            }
        }
        out.println("balances: " + folded);
    }
}
