package io.streamable.examples.mongoredis;

import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.examples.mongoredis.MongoRedisProducer.Greeting;

import java.util.concurrent.CountDownLatch;

/**
 * The port of the user's {@code testConsumer.ts}: prints every message of the topic
 * {@code greetings} from the beginning, prints "caught up" when it has drained the topic, and
 * keeps printing new messages as {@link MongoRedisProducer} pushes them (woken by Redis), until
 * Ctrl-C.
 *
 * <pre>
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.mongoredis.MongoRedisConsumer \
 *     -Dexec.args="mongoredis://localhost:27017/streamable?redis=redis://localhost:6379"
 * </pre>
 * The URL comes from the first argument, else {@code STREAMABLE_URL}, else local default ports.
 */
public final class MongoRedisConsumer {
    private MongoRedisConsumer() {
    }

    public static void main(String[] args) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        try (Streamable streamable = Streamable.open(MongoRedisUrl.from(args));
             Consumer<Greeting> consumer = streamable.consumer(MongoRedisProducer.GREETINGS)
                     .startFrom(StartFrom.beginning())
                     .handler(message -> System.out.println("message at " + message.position() + " (key "
                             + message.shardingKey() + "): " + message.payload()))
                     .onCaughtUp(() -> System.out.println("caught up"))
                     .start()) {
            System.out.println("Consuming from " + streamable + "; Ctrl-C to stop");
            stop.await();
        }
    }
}
