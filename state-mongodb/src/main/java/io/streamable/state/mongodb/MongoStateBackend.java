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
import com.mongodb.client.model.Sorts;
import io.streamable.StreamableException;
import io.streamable.backend.BackendUnavailableException;
import io.streamable.state.spi.StateBackend;
import io.streamable.state.spi.StateTable;
import io.streamable.state.spi.StoredState;
import org.bson.Document;
import org.bson.types.Binary;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static io.streamable.state.mongodb.MongoStateStoreProvider.APPLIED_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.VALUE_FIELD;
import static io.streamable.state.mongodb.MongoStateStoreProvider.VERSION_FIELD;

/** A collection per store, a document per key; see {@link MongoStateStoreProvider} for the layout. */
final class MongoStateBackend implements StateBackend {
    private static final Pattern REGEX_SPECIAL = Pattern.compile("[\\\\^$.|?*+()\\[\\]{}]");

    private final MongoClient client;
    private final MongoDatabase database;
    private final String collectionPrefix;
    private final String description;
    private final AtomicBoolean closed = new AtomicBoolean();

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
        return new Table(storeName, database.getCollection(
                MongoStateStoreProvider.collectionName(collectionPrefix, storeName)));
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

        private <R> R call(String what, Supplier<R> operation) {
            try {
                return operation.get();
            } catch (MongoSocketException | MongoTimeoutException e) {
                throw new BackendUnavailableException("Could not " + what + " in state store \"" + name + "\" on "
                        + description + ": " + e.getMessage() + ". Check that MongoDB is reachable.", e);
            } catch (MongoException e) {
                throw new StreamableException("MongoDB refused to " + what + " in state store \"" + name + "\" on "
                        + description + ": " + e.getMessage(), e);
            }
        }

        private static Document toDocument(StoredState state) {
            Document applied = new Document();
            state.applied().forEach((topic, position) -> applied.append(topic.replace('.', '~'), position));
            Document document = new Document("_id", state.key()).append(VERSION_FIELD, state.version());
            state.value().ifPresent(bytes -> document.append(VALUE_FIELD, new Binary(bytes)));
            return document.append(APPLIED_FIELD, applied);
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
            return new StoredState(document.getString("_id"), version.longValue(), Optional.ofNullable(bytes), applied);
        }
    }
}
