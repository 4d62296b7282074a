package io.streamable.examples.secrets;

import io.streamable.Topic;
import io.streamable.backend.BackendUrl;
import io.streamable.backend.kafka.EmbeddedKafka;
import io.streamable.backend.mongoredis.TestServers;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import io.streamable.produce.Producer;
import io.streamable.state.SharedState;
import io.streamable.state.StateStore;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The child JVM of {@link SecretsLeakTest}: opens every URL form that carries a secret (each
 * secret contains {@value #MARKER}) against closed ports, unreachable hosts and live servers,
 * uses what opens, and prints every {@code toString()}, exception message, cause chain and stack
 * trace to stdout, while slf4j-simple logs everything at DEBUG to the same stream. The parent
 * then looks for the marker in all of it.
 */
public final class SecretsProbeMain {
    /** Part of every secret, and of nothing else the probe prints. */
    static final String MARKER = "Zk9q";
    /** Printed once per URL form, before it is tried. */
    static final String FORM = "FORM ";
    /** Printed when everything has been tried. */
    static final String DONE = "PROBE DONE";

    private static final Topic<String> TOPIC = Topic.of("secrets-probe", String.class);
    private static final PrintStream OUT = System.out;

    private SecretsProbeMain() {
    }

    /** The forms, each a name and how to open it. */
    record Form(String name, Supplier<Streamable> open) {
    }

    public static void main(String[] args) throws Exception {
        String closed = "127.0.0.1:" + closedPort();
        String closedRedis = "127.0.0.1:" + closedPort();
        String pem = "-----BEGIN PRIVATE KEY-----" + MARKER + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + MARKER
                + "-----END PRIVATE KEY-----";
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" password=\""
                + MARKER + "jaas\";";
        String kafkaFast = "timeout=1500&kafka.request.timeout.ms=1500&kafka.max.block.ms=1500&kafka.delivery.timeout.ms=3000";
        String mongoFast = "serverSelectionTimeoutMS=1000&connectTimeoutMS=1000";
        String specials = MARKER + "a/" + MARKER + "b#" + MARKER + "c?" + MARKER + "d@" + MARKER + "e";

        try (TestServers.EmbeddedMongo mongo = TestServers.startMongo();
             EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
            String liveMongo = "127.0.0.1:" + mongo.port();
            String liveKafka = kafka.bootstrapServers();
            List<Form> forms = new ArrayList<>();
            // Kafka: closed port, unreachable host, live broker
            forms.add(url("kafka://app:" + specials + "@" + closed + "?" + kafkaFast));
            for (String special : new String[] {"/", "#", "?", "@"}) {
                forms.add(url("kafka://app:" + MARKER + "p" + special + MARKER + "q@" + closed + "?" + kafkaFast));
            }
            forms.add(url("kafka://user:" + MARKER + "forgot"));
            forms.add(url("kafka://user:" + MARKER + "forgot?partitions=1"));
            forms.add(url("kafka://" + closed + "?" + kafkaFast + "&kafka.security.protocol=SASL_PLAINTEXT"
                    + "&kafka.sasl.mechanism=PLAIN&kafka.sasl.jaas.config=" + jaas));
            forms.add(url("kafka://" + closed + "?" + kafkaFast + "&kafka.security.protocol=SASL_PLAINTEXT"
                    + "&kafka.sasl.mechanism=PLAIN&kafka.sasl.jaas.config=PlainLoginModule required password=" + MARKER
                    + "malformed"));
            forms.add(url("kafka://" + closed + "?" + kafkaFast + "&kafka.security.protocol=SSL&kafka.ssl.keystore.type=PEM"
                    + "&kafka.ssl.keystore.key=" + pem + "&kafka.ssl.keystore.certificate.chain=" + pem
                    + "&kafka.ssl.key.password=" + MARKER + "keypw"));
            forms.add(url("kafka://broker.invalid:9092?" + kafkaFast + "&kafka.security.protocol=SSL"
                    + "&kafka.ssl.truststore.location=/nonexistent/truststore.jks&kafka.ssl.truststore.password="
                    + MARKER + "trust&kafka.producer.basic.auth.user.info=app:" + MARKER + "basic"));
            forms.add(url("kafka://" + liveKafka + "?timeout=5000&kafka.producer.basic.auth.user.info=app:" + MARKER
                    + "live&kafka.consumer.sasl.jaas.config=" + jaas));
            forms.add(new Form("options outside the URL, kafka", () -> Streamable.builder()
                    .url("kafka://" + closed + "?" + kafkaFast).option("kafka.sasl.jaas.config", jaas)
                    .option("kafka.ssl.key.password", MARKER + "opt").build()));
            // MongoRedis: closed port, unreachable host, live MongoDB with closed or live Redis
            forms.add(url("mongoredis://app:" + specials + "@" + closed + "/topics?" + mongoFast + "&redis=none"));
            for (String special : new String[] {"/", "#", "?", "@"}) {
                forms.add(url("mongoredis://app:" + MARKER + "p" + special + MARKER + "q@" + closed + "/topics?"
                        + mongoFast + "&redis=redis://" + closedRedis));
            }
            forms.add(url("mongoredis://user:" + MARKER + "forgot"));
            forms.add(url("mongoredis://" + closed + "/topics?" + mongoFast + "&redis=redis://u:" + MARKER + "a%40"
                    + MARKER + "b@" + closedRedis));
            forms.add(url("mongoredis://" + closed + "/topics?" + mongoFast + "&redis=redis%3A%2F%2Fu%3A" + MARKER
                    + "enc%40" + closedRedis.replace(":", "%3A")));
            forms.add(url("mongoredis://" + closed + "/topics?" + mongoFast + "&authMechanism=MONGODB-AWS"
                    + "&authMechanismProperties=AWS_SESSION_TOKEN:" + MARKER + "token&redis=none"));
            forms.add(url("mongoredis://app:" + MARKER + "pw@db.invalid:27017/topics?" + mongoFast
                    + "&redis=redis://:" + MARKER + "r@cache.invalid:6379"));
            forms.add(url("mongoredis://" + liveMongo + "/topics?" + mongoFast + "&redis=redis://u:" + MARKER
                    + "a%40" + MARKER + "b@" + closedRedis + "&safetyPoll=200ms"));
            forms.add(url("mongoredis://" + liveMongo + "/topics?" + mongoFast + "&redis=redis://:" + MARKER
                    + "redis@cache.invalid:6379&safetyPoll=200ms"));
            forms.add(url("mongoredis://app:" + MARKER + "auth@" + liveMongo + "/topics?" + mongoFast + "&redis=none"));
            // no scheme, a misspelt scheme
            forms.add(url("app:" + MARKER + "bare@" + closed));
            forms.add(url("kafak://app:" + MARKER + "typo@" + closed));

            for (int i = 0; i < forms.size(); i++) {
                OUT.println(FORM + i + ": " + forms.get(i).name());
                tryForm(forms.get(i));
            }
            // state stores take URLs with credentials too
            List<String> stateUrls = List.of(
                    "mongodb://app:" + specials + "@" + closed + "/bank?" + mongoFast,
                    "mongodb://app:" + MARKER + "s@db.invalid:27017/bank?" + mongoFast,
                    "mongodb://app:" + MARKER + "live@" + liveMongo + "/bank?" + mongoFast,
                    "mongodb://" + closed + "/bank?" + mongoFast + "&authMechanism=MONGODB-AWS"
                            + "&authMechanismProperties=AWS_SESSION_TOKEN:" + MARKER + "token",
                    "redis://:" + MARKER + "r@" + closedRedis,
                    "redis://u:" + MARKER + "a@" + MARKER + "b@" + closedRedis,
                    "redis://:" + MARKER + "r@cache.invalid:6379");
            for (int i = 0; i < stateUrls.size(); i++) {
                OUT.println(FORM + (forms.size() + i) + ": state " + BackendUrl.mask(stateUrls.get(i)));
                tryState(stateUrls.get(i));
            }
            OUT.println("forms tried: " + (forms.size() + stateUrls.size()));
        }
        OUT.println(DONE);
        OUT.flush();
        System.exit(0); // client threads of failed connections must not keep the JVM alive
    }

    private static Form url(String url) {
        OUT.println("parsed: " + safely(() -> BackendUrl.parse(url).toString()));
        return new Form(BackendUrl.mask(url), () -> Streamable.open(url));
    }

    private static void tryForm(Form form) {
        Streamable streamable;
        try {
            streamable = form.open().get();
        } catch (Throwable e) {
            report("open", e);
            return;
        }
        OUT.println("OPENED " + streamable + " backend " + streamable.backend() + " describe "
                + streamable.backend().describe());
        try (streamable) {
            Producer<String> producer = streamable.producer(TOPIC);
            OUT.println("producer " + producer);
            OUT.println("appended at " + producer.append("k", "v").get(10, TimeUnit.SECONDS));
            Consumer<String> consumer = streamable.consumer(TOPIC).name("probe").handler(m -> OUT.println("got " + m))
                    .start();
            OUT.println("consumer " + consumer + " lag " + safely(() -> String.valueOf(consumer.lag())));
            consumer.close();
            OUT.println("topics " + streamable.backend().listTopics());
        } catch (Throwable e) {
            report("use", e);
        }
    }

    private static void tryState(String url) {
        SharedState state;
        try {
            state = SharedState.open(url);
        } catch (Throwable e) {
            report("open state", e);
            return;
        }
        OUT.println("OPENED state " + state);
        try (state) {
            StateStore<String> store = state.store("probe", String.class);
            OUT.println("store " + store + " get " + store.get("k"));
        } catch (Throwable e) {
            report("use state", e);
        }
    }

    private static String safely(Supplier<String> text) {
        try {
            return text.get();
        } catch (Throwable e) {
            report("toString", e);
            return "(failed)";
        }
    }

    private static void report(String what, Throwable failure) {
        OUT.println("FAILED " + what + ": " + failure);
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable cause = failure.getCause(); cause != null && seen.add(cause); cause = cause.getCause()) {
            OUT.println("  caused by " + cause);
        }
        failure.printStackTrace(OUT);
    }

    private static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
