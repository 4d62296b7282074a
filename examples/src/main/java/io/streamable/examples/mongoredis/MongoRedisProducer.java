package io.streamable.examples.mongoredis;

import io.streamable.Position;
import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.produce.Producer;

/**
 * The port of the user's {@code testProducer.ts}: pushes 30 messages {@code {name: "phil",
 * isGreat: true}} under one sharding key to the topic {@code greetings} on MongoDB + Redis. Run
 * {@link MongoRedisConsumer} alongside to see them arrive.
 *
 * <pre>
 * mvn -q -pl examples -am test-compile exec:java -Dexec.mainClass=io.streamable.examples.mongoredis.MongoRedisProducer \
 *     -Dexec.args="mongoredis://localhost:27017/streamable?redis=redis://localhost:6379"
 * </pre>
 * The URL comes from the first argument, else {@code STREAMABLE_URL}, else local default ports.
 */
public final class MongoRedisProducer {

    /** The payload, stored as JSON. */
    public record Greeting(String name, boolean isGreat) {
    }

    /** The topic both examples use. */
    public static final Topic<Greeting> GREETINGS = Topic.of("greetings", Greeting.class);

    private MongoRedisProducer() {
    }

    public static void main(String[] args) {
        try (Streamable streamable = Streamable.open(MongoRedisUrl.from(args));
             Producer<Greeting> producer = streamable.producer(GREETINGS)) {
            System.out.println("Producing to " + streamable);
            for (int i = 1; i <= 30; i++) {
                Position position = producer.appendAndWait("phil", new Greeting("phil", true));
                System.out.println("pushed message " + i + " at position " + position);
            }
        }
    }
}
