package io.streamable.benchmarks.state;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import io.streamable.benchmarks.harness.Round;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.harness.Unit;
import io.streamable.benchmarks.servers.MongoRedisServers;
import io.streamable.state.SharedState;
import io.streamable.state.Source;
import io.streamable.state.StateStore;
import io.streamable.state.UpdateResult;
import io.streamable.state.mongodb.MongoStateStoreProvider;
import org.HdrHistogram.Histogram;
import org.bson.Document;

import java.util.Optional;

/**
 * {@code state-update} and {@code state-update-plain}: one thread applies N updates over 100 keys
 * (accounts) to a MongoDB state store, apply-once by source position or plain. Baseline: a raw
 * {@code findOneAndUpdate} with {@code $inc} and upsert per update on the same server, which is
 * what a hand-written counter would do (without apply-once or optimistic concurrency).
 */
public final class StateUpdate implements Scenario {
    private static final String DATABASE = "bench";
    private static final String SOURCE_TOPIC = "deposits";
    private static final int KEYS = 100;

    /** The state value: a running balance. */
    public record Account(long balance, long updates) {
    }

    private final boolean applyOnce;
    private Settings settings;
    private MongoRedisServers servers;
    private MongoClient rawClient;
    private MongoDatabase rawDatabase;
    private SharedState state;

    private StateUpdate(boolean applyOnce) {
        this.applyOnce = applyOnce;
    }

    /** Apply-once updates, each carrying its source message's position. */
    public static StateUpdate applyOnce() {
        return new StateUpdate(true);
    }

    /** Plain optimistic updates without a source. */
    public static StateUpdate plain() {
        return new StateUpdate(false);
    }

    @Override
    public String name() {
        return applyOnce ? "state-update" : "state-update-plain";
    }

    @Override
    public String description() {
        return (applyOnce ? "store.update(key, source, fn) apply-once" : "store.update(key, fn)")
                + " on state-mongodb vs raw findOneAndUpdate($inc, upsert)";
    }

    @Override
    public Optional<String> topicBackend() {
        return Optional.empty();
    }

    @Override
    public Unit unit() {
        return Unit.THROUGHPUT;
    }

    @Override
    public String latencyMeaning() {
        return "one update call";
    }

    private int updates() {
        return settings.messagesOr(20_000);
    }

    @Override
    public void setUp(Settings settings) throws Exception {
        this.settings = settings;
        this.servers = MongoRedisServers.start(settings.servers(), false);
        this.rawClient = MongoClients.create(servers.mongoUri());
        this.rawDatabase = rawClient.getDatabase(DATABASE);
        this.state = SharedState.open(servers.mongoUri() + "/" + DATABASE);
    }

    @Override
    public Round framework(int round) {
        String name = "fw-state-" + round;
        StateStore<Account> store = state.store(name, Account.class);
        Histogram latencies = Round.newHistogram();
        int updates = updates();
        try {
            long start = System.nanoTime();
            for (int seq = 0; seq < updates; seq++) {
                String key = "acct-" + (seq % KEYS);
                long amount = seq % 7 + 1;
                long callStart = System.nanoTime();
                UpdateResult<Account> result = applyOnce
                        ? store.update(key, Source.of(SOURCE_TOPIC, seq + 1L), current -> deposit(current, amount))
                        : store.update(key, current -> deposit(current, amount));
                latencies.recordValue(System.nanoTime() - callStart);
                if (!result.applied()) {
                    throw new IllegalStateException("Update " + seq + " of " + key + " was not applied: " + result);
                }
            }
            return new Round(updates, System.nanoTime() - start, latencies);
        } finally {
            rawDatabase.getCollection(MongoStateStoreProvider.collectionName(
                    MongoStateStoreProvider.DEFAULT_COLLECTION_PREFIX, name)).drop();
        }
    }

    private static Account deposit(Optional<Account> current, long amount) {
        return current.map(account -> new Account(account.balance() + amount, account.updates() + 1))
                .orElseGet(() -> new Account(amount, 1));
    }

    @Override
    public Round baseline(int round) {
        String name = "raw-state-" + round;
        MongoCollection<Document> collection = rawDatabase.getCollection(name);
        FindOneAndUpdateOptions upsert = new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER);
        Histogram latencies = Round.newHistogram();
        int updates = updates();
        try {
            long start = System.nanoTime();
            for (int seq = 0; seq < updates; seq++) {
                String key = "acct-" + (seq % KEYS);
                long amount = seq % 7 + 1;
                long callStart = System.nanoTime();
                Document after = collection.findOneAndUpdate(Filters.eq("_id", key),
                        Updates.combine(Updates.inc("balance", amount), Updates.inc("updates", 1L)), upsert);
                latencies.recordValue(System.nanoTime() - callStart);
                if (after == null) {
                    throw new IllegalStateException("findOneAndUpdate with upsert returned nothing for " + key);
                }
            }
            return new Round(updates, System.nanoTime() - start, latencies);
        } finally {
            collection.drop();
        }
    }

    @Override
    public void close() {
        try {
            if (state != null) {
                state.close();
            }
            if (rawClient != null) {
                rawClient.close();
            }
        } finally {
            if (servers != null) {
                servers.close();
            }
        }
    }
}
