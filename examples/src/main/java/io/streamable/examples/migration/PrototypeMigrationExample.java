package io.streamable.examples.migration;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.streamable.Topic;
import io.streamable.backend.mongoredis.PrototypeMigration;
import io.streamable.backend.mongoredis.PrototypeMigration.TopicReport;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.consume.StartFrom;
import io.streamable.produce.Producer;
import org.bson.Document;

import java.net.URI;
import java.time.Duration;
import java.util.Date;

/**
 * Moving the TypeScript prototype's users over: a small database in the prototype's shape (written
 * here with the MongoDB driver, as the prototype's producer would have), inspected, its missing
 * ids filled, consumed from the beginning by a Java consumer, then continued by a Java producer
 * with {@code prototypeSignals=true} (so prototype consumers still wake, and the prototype's
 * {@code nextids} counter moves past the Java ids).
 *
 * <p>Run it on a database you can throw away: {@code mongoredis://host:27017/migration-demo?redis=redis://host:6379}
 * as the first argument (else {@code STREAMABLE_URL}, else local default ports).
 */
public final class PrototypeMigrationExample {
    /** The prototype's payload, as its TypeScript interface declared it. */
    record Greeting(String name, boolean isGreat) {
    }

    private PrototypeMigrationExample() {
    }

    /**
     * Runs the migration.
     *
     * @param args the mongoredis URL of a database to throw away, optionally
     * @throws Exception if the consumer does not catch up within 30 seconds, or MongoDB cannot be reached
     */
    public static void main(String[] args) throws Exception {
        String url = args.length > 0 && !args[0].isBlank() ? args[0]
                : System.getenv().getOrDefault("STREAMABLE_URL",
                "mongoredis://localhost:27017/migration-demo?redis=redis://localhost:6379");
        URI parsed = URI.create(url);
        String database = parsed.getPath().substring(1);

        // 1. what the prototype left: ids from its nextids counter, a hole where an insert failed after its $inc
        try (MongoClient prototype = MongoClients.create("mongodb://" + parsed.getRawAuthority())) {
            MongoDatabase db = prototype.getDatabase(database);
            db.getCollection("greetings").deleteMany(new Document());
            db.getCollection("nextids").deleteMany(new Document());
            int[] ids = {1, 2, 4};
            String[] names = {"phil", "ada", "grace"};
            for (int i = 0; i < ids.length; i++) {
                db.getCollection("greetings").insertOne(new Document("_id", ids[i]).append("createdAt", new Date())
                        .append("shardingKey", names[i])
                        .append("payload", new Document("name", names[i]).append("isGreat", true)));
            }
            db.getCollection("nextids").insertOne(new Document("_id", "greetings").append("seq", 4));
        }

        String migrated = url + (url.contains("?") ? "&" : "?") + "prototypeSignals=true";
        try (Streamable streamable = Streamable.open(migrated)) {
            // 2. inspect (the CLI's 'streamable migrate inspect' prints the same report)
            TopicReport report = PrototypeMigration.inspect(streamable.backend()).topics().get(0);
            System.out.println("found " + report.topic() + ": " + report.documents() + " documents, ids "
                    + report.firstId() + ".." + report.lastId() + ", missing " + report.missingRanges()
                    + ", prototype-shaped " + report.prototypeShape() + ", undecodable " + report.undecodable());

            // 3. fill the hole with a stub, or readers stop there ('streamable migrate fill-gaps greetings')
            System.out.println("filled " + PrototypeMigration.fillGaps(streamable.backend(), "greetings") + " missing id");

            // 4. the prototype's producers are stopped; Java producers continue after the highest id
            Topic<Greeting> greetings = Topic.of("greetings", Greeting.class);
            Producer<Greeting> producer = streamable.producer(greetings);
            System.out.println("java append at " + producer.appendAndWait("linus", new Greeting("linus", false)).encode());

            // 5. a Java consumer reads the whole topic from the beginning, prototype messages included
            try (Consumer<Greeting> consumer = streamable.consumer(greetings).name("migrated")
                    .startFrom(StartFrom.beginning())
                    .handler(message -> System.out.println(message.position().encode() + " " + message.payload()))
                    .start()) {
                consumer.awaitCaughtUp(Duration.ofSeconds(30));
            }
        }

        // 6. a prototype producer still running would claim past every Java id
        try (MongoClient prototype = MongoClients.create("mongodb://" + parsed.getRawAuthority())) {
            Document counter = prototype.getDatabase(database).getCollection("nextids")
                    .find(Filters.eq("_id", "greetings")).first();
            System.out.println("nextids seq " + counter.get("seq") + ": the prototype's next id is "
                    + (((Number) counter.get("seq")).longValue() + 1));
        }
    }
}
