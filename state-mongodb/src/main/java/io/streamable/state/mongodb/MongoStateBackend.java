package io.streamable.state.mongodb;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.bson.Document;
import org.bson.types.Binary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static io.streamable.state.mongodb.MongoStateStoreProvider.APPLIED_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.OUTBOX_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.PENDING_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.VALUE_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.VERSION_FIELD;

/** A collection per store, a document per key; see {@link MongoStateStoreProvider} for the layout. */
final class MongoStateBackend implements StateBackend {
    private static final Pattern REGEX_SPECIAL = Pattern.compile("[\\\\^$.|?*+()\\[\\]{}]");
    private static final Logger LOG = LoggerFactory.getLogger(MongoStateBackend.class);
    /**
     * Server error codes that mean "not now, try again": a replica set election or a shutdown in
     * progress, or the network. The driver retries writes once itself (retryWrites); beyond that
     * the store's caller retries, so these must not be reported as permanent.
     */
    static final Set<Integer> UNAVAILABLE_CODES = Set.of(
            6,      // HostUnreachable
            7,      // HostNotFound
            89,     // NetworkTimeout
            91,     // ShutdownInProgress
            189,    // PrimarySteppedDown
            262,    // ExceededTimeLimit
            9001,   // SocketException
            10107,  // NotWritablePrimary
            11600,  // InterruptedAtShutdown
            11602,  // InterruptedDueToReplStateChange
            13435,  // NotPrimaryNoSecondaryOk
            13436); // NotPrimaryOrSecondary
    /** Error labels the server and driver attach to errors that a retry may not see again. */
    static final Set<String> UNAVAILABLE_LABELS = Set.of("RetryableWriteError",
            MongoException.TRANSIENT_TRANSACTION_ERROR_LABEL);

    private final MongoClient client;
    private final MongoDatabase database;
    private final String collectionPrefix;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();

    MongoStateBackend(MongoClient client, MongoDatabase database, String collectionPrefix, String description) {
        this.client = client;
        this.database = database;
        this.collectionPrefix = collectionPrefix;
        this.description = description;
    }

    @Override
    public StateTable table(String storeName) {
        if (closed.get()) {
            throw new IllegalStateException("The state backend " + description + " is closed; open a new one");
        }
        MongoCollection<Document> collection = database.getCollection(
                MongoStateStoreProvider.collectionName(collectionPrefix, storeName));
        return new Table(storeName, collection);
    }

    /**
     * Whether a MongoDB error means the server is not available right now (an election, a
     * shutdown, the network, a timeout) rather than a refusal that would happen again.
     */
    static boolean isUnavailable(MongoException e) {
        if (e instanceof MongoSocketException || e instanceof MongoTimeoutException
                || e instanceof com.mongodb.MongoNotPrimaryException || e instanceof com.mongodb.MongoNodeIsRecoveringException
                || e instanceof com.mongodb.MongoExecutionTimeoutException) {
            return true;
        }
        if (UNAVAILABLE_LABELS.stream().anyMatch(e::hasErrorLabel) || UNAVAILABLE_CODES.contains(e.getCode())) {
            return true;
        }
        if (e instanceof com.mongodb.MongoWriteConcernException concern
                && UNAVAILABLE_CODES.contains(concern.getWriteConcernError().getCode())) {
            return true;
        }
        return e.getCause() instanceof MongoException cause && cause != e && isUnavailable(cause);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "MongoStateBackend[" + description + "]";
    }

    private final class Table implements StateTable {
        private final String name;
        private final MongoCollection<Document> collection;

        Table(String name, MongoCollection<Document> collection) {
            this.name = name;
            this.collection = collection;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Optional<StoredState> read(String key) {
            return call("read key \"" + key + "\"", () ->
                    Optional.ofNullable(collection.find(Filters.eq("_id", key)).first()).map(Table::toState));
        }

        @Override
        public boolean insert(StoredState state) {
            return call("insert key \"" + state.key() + "\"", () -> {
                try {
                    collection.insertOne(toDocument(state));
                    return true;
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                        return false; // another writer created the key first
                    }
                    throw e;
                }
            });
        }

        @Override
        public boolean replace(StoredState state, long expectedVersion) {
            return call("replace key \"" + state.key() + "\"", () -> collection.replaceOne(
                    Filters.and(Filters.eq("_id", state.key()), Filters.eq(VERSION_FIELD, expectedVersion)),
                    toDocument(state)).getMatchedCount() == 1);
        }

        @Override
        public void scan(String prefix, Consumer<StoredState> sink) {
            call("scan prefix \"" + prefix + "\"", () -> {
                var query = prefix.isEmpty() ? collection.find()
                        : collection.find(Filters.regex("_id", "^" + REGEX_SPECIAL.matcher(prefix).replaceAll("\\\\$0")));
                try (MongoCursor<Document> cursor = query.sort(Sorts.ascending("_id")).iterator()) {
                    while (cursor.hasNext()) {
                        StoredState state = toState(cursor.next());
                        if (state.key().startsWith(prefix)) {
                            sink.accept(state);
                        }
                    }
                }
                return null;
            });
        }

        @Override
        public void scanPending(Consumer<StoredState> sink) {
            ensurePendingIndex();
            call("look up pending output", () -> {
                try (MongoCursor<Document> cursor = collection.find(Filters.eq(PENDING_FIELD, true)).iterator()) {
                    while (cursor.hasNext()) {
                        StoredState state = toState(cursor.next());
                        if (state.hasPendingOutput()) {
                            sink.accept(state);
                        }
                    }
                }
                return null;
            });
        }

        /**
         * Creates the sparse index on {@code pending} the first time pending output is looked up
         * (a processor's start), not when the store is made, so making a store does no I/O and
         * works while MongoDB is down. Sparse: only documents with pending output are in it, so the
         * lookup reads those alone. Idempotent on the server.
         */
        private void ensurePendingIndex() {
            if (!indexed.add(name)) {
                return;
            }
            try {
                collection.createIndex(Indexes.ascending(PENDING_FIELD), new IndexOptions().sparse(true)
                        .name("streamable_pending"));
            } catch (MongoException e) {
                indexed.remove(name);
                LOG.warn("Could not create the outbox index on {} ({}); looking up pending output reads the whole"
                        + " collection until it exists", collection.getNamespace(), e.getMessage());
            }
        }

        private <R> R call(String what, Supplier<R> operation) {
            try {
                return operation.get();
            } catch (MongoException e) {
                if (isUnavailable(e)) {
                    throw new BackendUnavailableException("Could not " + what + " in state store \"" + name + "\" on "
                            + description + ": " + e.getMessage() + ". Check that MongoDB is reachable and has a"
                            + " primary; the operation is retried.", e);
                }
                throw new StreamableException("MongoDB refused to " + what + " in state store \"" + name + "\" on "
                        + description + ": " + e.getMessage(), e);
            }
        }

        private static Document toDocument(StoredState state) {
            Document applied = new Document();
            state.applied().forEach((topic, position) -> applied.append(topic.replace('.', '~'), position));
            Document document = new Document("_id", state.key()).append(VERSION_FIELD, state.version());
            state.value().ifPresent(bytes -> document.append(VALUE_FIELD, new Binary(bytes)));
            document.append(APPLIED_FIELD, applied);
            if (state.hasPendingOutput()) {
                // an array of entries, not a map: sources hold dots, which field names cannot
                List<Document> outbox = new ArrayList<>();
                state.outbox().forEach((source, bytes) -> outbox.add(new Document("s", source)
                        .append("o", new Binary(bytes))));
                document.append(OUTBOX_FIELD, outbox).append(PENDING_FIELD, true);
            }
            return document;
        }

        private static StoredState toState(Document document) {
            Map<String, String> applied = new LinkedHashMap<>();
            Document stored = document.get(APPLIED_FIELD, Document.class);
            if (stored != null) {
                stored.forEach((topic, position) -> applied.put(topic.replace('~', '.'), String.valueOf(position)));
            }
            Object value = document.get(VALUE_FIELD);
            byte[] bytes = value instanceof Binary binary ? binary.getData() : null;
            Number version = document.get(VERSION_FIELD, Number.class);
            Map<String, byte[]> outbox = new LinkedHashMap<>();
            List<?> entries = document.get(OUTBOX_FIELD, List.class);
            if (entries != null) {
                for (Object entry : entries) {
                    if (entry instanceof Document pending && pending.get("o") instanceof Binary output) {
                        outbox.put(pending.getString("s"), output.getData());
                    }
                }
            }
            return new StoredState(document.getString("_id"), version.longValue(), Optional.ofNullable(bytes), applied,
                    outbox);
        }
    }
}
