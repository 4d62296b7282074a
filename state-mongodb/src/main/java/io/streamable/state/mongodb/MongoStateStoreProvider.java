package io.streamable.state.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.streamable.backend.BackendUrl;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateStoreProvider;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Opens {@code mongodb://} and {@code mongodb+srv://} state URLs with the official synchronous
 * driver, for example {@code mongodb://user:secret@db1:27017,db2:27017/bank?replicaSet=rs0}.
 *
 * <h2>Layout</h2>
 * The database is the URL's path ({@value #DEFAULT_DATABASE} if none). Each state store is one
 * collection, named {@code PREFIX + storeName} with the prefix from the
 * {@value #COLLECTION_PREFIX_OPTION} option (default {@value #DEFAULT_COLLECTION_PREFIX}), and
 * each key one document:
 * <pre>{@code
 * { _id: "acct-42", version: 7, value: BinData(<encoded value>),
 *   applied: { "transactions": "1234" },
 *   outbox: [ { s: "transactions@1234", o: BinData(<pending output>) } ], pending: true }
 * }</pre>
 * {@code value} is the value as encoded by the store's codec (JSON by default), absent on a
 * tombstone. {@code applied} maps each source topic to the encoded position of the newest
 * message applied to the key; a {@code '.'} in a topic name is stored as {@code '~'} (which topic
 * names cannot contain), because MongoDB reserves dots in field paths. {@code outbox} and
 * {@code pending} are there only while the key has output not yet acknowledged; a sparse index on
 * {@code pending} (created on the first lookup of pending output) finds those documents without reading
 * the others.
 *
 * <p>Errors that mean the server is not available right now (network, timeouts, an election or
 * stepdown: {@code NotWritablePrimary}, {@code PrimarySteppedDown}, ... or any error labelled
 * {@code RetryableWriteError} or {@code TransientTransactionError}) are reported as
 * {@link io.streamable.backend.BackendUnavailableException}, which processors retry; other errors
 * are permanent.
 *
 * <p>A new key is written with {@code insertOne} (a duplicate key error means another writer was
 * first); an existing key with {@code replaceOne} filtered on its {@code _id} and the
 * {@code version} that was read, so a write made in between turns the replace into a no-op the
 * store retries. Other options in the URL go to the driver unchanged.
 */
public final class MongoStateStoreProvider implements StateStoreProvider {
    /** The URL option naming the collection prefix. */
    public static final String COLLECTION_PREFIX_OPTION = "collectionPrefix";
    /** The default collection prefix. */
    public static final String DEFAULT_COLLECTION_PREFIX = "state.";
    /** The database used when the URL names none. */
    public static final String DEFAULT_DATABASE = "streamable";
    /** The document field holding the key's version. */
    public static final String VERSION_FIELD = "version";
    /** The document field holding the encoded value. */
    public static final String VALUE_FIELD = "value";
    /** The document field holding the applied positions per topic. */
    public static final String APPLIED_FIELD = "applied";
    /** The document field holding pending output: an array of {@code {s: source, o: BinData}}. */
    public static final String OUTBOX_FIELD = "outbox";
    /** The field, {@code true} and sparsely indexed, of the documents with pending output. */
    public static final String PENDING_FIELD = "pending";

    private static final Set<String> OWN_OPTIONS = Set.of(COLLECTION_PREFIX_OPTION);

    @Override
    public String scheme() {
        return "mongodb";
    }

    @Override
    public Set<String> aliases() {
        return Set.of("mongodb+srv");
    }

    @Override
    public String artifact() {
        return "io.streamable:state-mongodb";
    }

    /**
     * The collection a store's documents live in, for tools and benchmarks that read it directly.
     *
     * @param collectionPrefix the prefix configured for the backend
     * @param storeName        the store's name
     * @return the collection name
     */
    public static String collectionName(String collectionPrefix, String storeName) {
        return collectionPrefix + storeName;
    }

    @Override
    public StateBackend open(BackendUrl url) {
        String prefix = url.option(COLLECTION_PREFIX_OPTION).orElse(DEFAULT_COLLECTION_PREFIX);
        ConnectionString connection;
        try {
            connection = new ConnectionString(withoutOwnOptions(url.raw()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Not a valid MongoDB state URL: " + url.masked() + " ("
                    + BackendUrl.mask(e.getMessage()) + "). Use for example mongodb://localhost:27017/mydb", e);
        }
        String database = connection.getDatabase() == null || connection.getDatabase().isEmpty()
                ? DEFAULT_DATABASE : connection.getDatabase();
        MongoClientSettings.Builder settings = MongoClientSettings.builder().applyConnectionString(connection);
        if (!url.raw().contains("serverSelectionTimeoutMS")) {
            // fail within seconds, not the driver's 30 s, when the server is not there
            settings.applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(10, TimeUnit.SECONDS));
        }
        MongoClient client = MongoClients.create(settings.build());
        return new MongoStateBackend(client, client.getDatabase(database), prefix, url.masked());
    }

    /** The URL for the driver: ours minus the options only this module understands. */
    static String withoutOwnOptions(String raw) {
        int query = raw.indexOf('?');
        if (query < 0) {
            return raw;
        }
        List<String> kept = new ArrayList<>();
        for (String pair : raw.substring(query + 1).split("&")) {
            String name = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            if (!pair.isEmpty() && !OWN_OPTIONS.contains(name)) {
                kept.add(pair);
            }
        }
        return raw.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }
}
