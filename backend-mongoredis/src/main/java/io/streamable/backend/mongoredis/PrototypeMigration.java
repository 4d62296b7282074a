package io.streamable.backend.mongoredis;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Sorts;
import io.streamable.StreamableException;
import io.streamable.TopicName;
import io.streamable.backend.Backend;
import io.streamable.backend.StoredRecord;
import org.bson.Document;
import org.bson.RawBsonDocument;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Moving from the TypeScript prototype (version 2.x) to this backend: what a database it wrote
 * holds ({@link #inspect}), and the one repair its topics may need ({@link #fillGaps}). The
 * {@code streamable migrate} command of the CLI prints both; the procedure is in this module's
 * README.
 */
public final class PrototypeMigration {
    /** At most this many problems (missing id ranges, undecodable documents) are listed per topic. */
    static final int MAX_LISTED = 10;
    private static final int STUB_BATCH = 1000;

    private PrototypeMigration() {
    }

    /**
     * One topic collection as found.
     *
     * @param topic          the collection's (and topic's) name
     * @param documents      every document in it
     * @param firstId        the lowest numeric id (position), 0 if none
     * @param lastId         the highest numeric id: where Java producers continue (after it)
     * @param missingIds     ids between 1 and {@code lastId} that no document holds: readers stop there
     *                       ("storage lost data") until {@link #fillGaps} fills them with stubs
     * @param missingRanges  the first missing ranges, as {@code "4"} or {@code "7-9"}
     * @param idTypes        how many numeric ids of each BSON type ({@code int32}, {@code int64}, {@code double})
     * @param prototypeShape documents in the prototype's shape: no {@code headers}, an embedded payload
     * @param binaryPayloads documents with a BinData payload (this backend's format before embedded documents)
     * @param stubs          compacted stubs this backend left
     * @param nonNumericIds  documents whose {@code _id} is not a position (ignored by readers)
     * @param undecodable    documents a reader returns as malformed (poison messages for the failure policy)
     * @param defects        the first undecodable documents, as {@code "position: what is wrong"}
     * @param counter        the prototype's {@code nextids} counter for this collection, if any
     * @param indexes        the collection's index names
     */
    public record TopicReport(String topic, long documents, long firstId, long lastId, long missingIds,
                              List<String> missingRanges, Map<String, Long> idTypes, long prototypeShape,
                              long binaryPayloads, long stubs, long nonNumericIds, long undecodable,
                              List<String> defects, OptionalLong counter, List<String> indexes) {
        /**
         * Copies the lists and maps, so a report is immutable.
         *
         * @param topic see the record's description
         * @param documents see the record's description
         * @param firstId see the record's description
         * @param lastId see the record's description
         * @param missingIds see the record's description
         * @param missingRanges see the record's description
         * @param idTypes see the record's description
         * @param prototypeShape see the record's description
         * @param binaryPayloads see the record's description
         * @param stubs see the record's description
         * @param nonNumericIds see the record's description
         * @param undecodable see the record's description
         * @param defects see the record's description
         * @param counter see the record's description
         * @param indexes see the record's description
         */
        public TopicReport {
            missingRanges = List.copyOf(missingRanges);
            idTypes = Collections.unmodifiableMap(new TreeMap<>(idTypes));
            defects = List.copyOf(defects);
            indexes = List.copyOf(indexes);
        }

        /**
         * {@return true when a prototype producer still running would collide with ids already taken:
         * its counter is below the highest id}
         */
        public boolean counterBehind() {
            return counter.isPresent() && counter.getAsLong() < lastId;
        }
    }

    /**
     * A database as found.
     *
     * @param database the database name
     * @param topics   one report per topic collection, by name
     * @param counters every {@code nextids} counter, collection name to {@code seq}
     */
    public record Report(String database, List<TopicReport> topics, Map<String, Long> counters) {
        /**
         * Copies the lists and maps, so a report is immutable.
         *
         * @param database see the record's description
         * @param topics see the record's description
         * @param counters see the record's description
         */
        public Report {
            topics = List.copyOf(topics);
            counters = Collections.unmodifiableMap(new TreeMap<>(counters));
        }
    }

    /**
     * Reads every topic collection of the backend's database (framework-internal and bookkeeping
     * collections and {@code nextids} excepted) and reports what a reader will find. Reads only;
     * scans every document, so it takes as long as reading the database once.
     *
     * @param backend a {@code mongoredis:} backend ({@code streamable.backend()})
     * @return what the database holds
     * @throws IllegalArgumentException if the backend is not a {@code mongoredis:} one
     * @throws StreamableException      if MongoDB cannot be read
     */
    public static Report inspect(Backend backend) {
        MongoRedisBackend mongo = mongoredis(backend);
        try {
            Map<String, Long> counters = new TreeMap<>();
            List<String> collections = new ArrayList<>();
            for (String name : mongo.database().listCollectionNames()) {
                collections.add(name);
            }
            if (collections.contains(MongoRedisBackend.PROTOTYPE_COUNTERS)) {
                for (Document counter : mongo.database().getCollection(MongoRedisBackend.PROTOTYPE_COUNTERS).find()) {
                    if (counter.get("_id") instanceof String collection && counter.get("seq") instanceof Number seq) {
                        counters.put(collection, seq.longValue());
                    }
                }
            }
            List<TopicReport> topics = new ArrayList<>();
            for (String name : mongo.listTopics()) {
                topics.add(inspect(mongo, name, counters));
            }
            return new Report(mongo.database().getName(), topics, counters);
        } catch (MongoException e) {
            throw mongo.unavailable("inspecting the database", e);
        }
    }

    private static TopicReport inspect(MongoRedisBackend backend, String topic, Map<String, Long> counters) {
        MongoCollection<Document> collection = backend.collection(backend.collectionNameFor(topic))
                .withCodecRegistry(MongoTopicStore.RAW_EMBEDDED);
        long documents = 0;
        long first = 0;
        long last = 0;
        long previous = 0;
        long missing = 0;
        long prototype = 0;
        long binary = 0;
        long stubs = 0;
        long nonNumeric = 0;
        long undecodable = 0;
        List<String> ranges = new ArrayList<>();
        List<String> defects = new ArrayList<>();
        Map<String, Long> idTypes = new TreeMap<>();
        for (Document document : collection.find().sort(Sorts.ascending(MongoTopicStore.ID))) {
            documents++;
            long id = MongoTopicStore.idOf(document);
            if (id < 1) {
                nonNumeric++;
                continue;
            }
            idTypes.merge(idType(document.get(MongoTopicStore.ID)), 1L, Long::sum);
            if (first == 0) {
                first = id;
            }
            if (id > previous + 1) {
                missing += id - previous - 1;
                if (ranges.size() < MAX_LISTED) {
                    ranges.add(id - 1 == previous + 1 ? Long.toString(previous + 1) : (previous + 1) + "-" + (id - 1));
                }
            }
            previous = Math.max(previous, id);
            last = previous;
            if (MongoTopicStore.isStub(document)) {
                stubs++;
                continue;
            }
            Object payload = document.get(MongoTopicStore.PAYLOAD);
            if (!document.containsKey(MongoTopicStore.HEADERS) && payload instanceof RawBsonDocument) {
                prototype++;
            } else if (payload instanceof org.bson.types.Binary) {
                binary++;
            }
            StoredRecord record = MongoTopicStore.toRecord(id, document);
            if (record.defect().isPresent()) {
                undecodable++;
                if (defects.size() < MAX_LISTED) {
                    defects.add(id + ": " + record.defect().get());
                }
            }
        }
        List<String> indexes = new ArrayList<>();
        for (Document index : collection.listIndexes()) {
            indexes.add(String.valueOf(index.get("name")));
        }
        Long counter = counters.get(backend.collectionNameFor(topic));
        return new TopicReport(topic, documents, first, last, missing, ranges, idTypes, prototype, binary, stubs,
                nonNumeric, undecodable, defects, counter == null ? OptionalLong.empty() : OptionalLong.of(counter),
                indexes);
    }

    private static String idType(Object id) {
        if (id instanceof Integer) {
            return "int32";
        }
        return id instanceof Long ? "int64" : "double";
    }

    /**
     * Fills every missing id of a topic (between 1 and its highest id) with a compacted stub, the
     * document this backend leaves for a superseded message: {@code {_id, shardingKey: "",
     * createdAt, compacted: true}}. Readers skip stubs, so a topic whose writer lost or deleted
     * documents (the prototype's compaction deleted) can be read from the beginning instead of
     * stopping at the first hole. Inserts only: no existing document changes. Run it while
     * nothing writes to the topic; ids taken meanwhile are left alone (duplicate keys are ignored).
     *
     * @param backend a {@code mongoredis:} backend
     * @param topic   the topic to repair
     * @return how many stubs were inserted
     * @throws IllegalArgumentException if the backend is not a {@code mongoredis:} one or the name is not a topic's
     * @throws StreamableException      if MongoDB cannot be written
     */
    public static long fillGaps(Backend backend, String topic) {
        MongoRedisBackend mongo = mongoredis(backend);
        TopicName.requireValid(topic);
        MongoCollection<Document> collection = mongo.collection(mongo.collectionNameFor(topic))
                .withWriteConcern(mongo.writeConcern());
        long inserted = 0;
        try {
            long previous = 0;
            List<Document> stubs = new ArrayList<>();
            Date now = new Date();
            for (Document document : collection.find(Filters.gt(MongoTopicStore.ID, 0L))
                    .projection(new Document(MongoTopicStore.ID, 1)).sort(Sorts.ascending(MongoTopicStore.ID))) {
                long id = MongoTopicStore.idOf(document);
                if (id < 1) {
                    continue;
                }
                for (long missing = previous + 1; missing < id; missing++) {
                    stubs.add(new Document(MongoTopicStore.ID, missing).append(MongoTopicStore.SHARDING_KEY, "")
                            .append(MongoTopicStore.CREATED_AT, now).append(MongoTopicStore.COMPACTED, true));
                    if (stubs.size() == STUB_BATCH) {
                        inserted += insert(collection, stubs);
                    }
                }
                previous = Math.max(previous, id);
            }
            inserted += insert(collection, stubs);
        } catch (MongoException e) {
            throw mongo.unavailable("filling the missing ids of topic \"" + topic + "\"", e);
        }
        return inserted;
    }

    private static long insert(MongoCollection<Document> collection, List<Document> stubs) {
        if (stubs.isEmpty()) {
            return 0;
        }
        int count = stubs.size();
        try {
            collection.insertMany(List.copyOf(stubs), new InsertManyOptions().ordered(false));
            return count;
        } catch (MongoBulkWriteException e) {
            // a writer took some of these ids meanwhile: theirs stand
            return count - e.getWriteErrors().size();
        } finally {
            stubs.clear();
        }
    }

    private static MongoRedisBackend mongoredis(Backend backend) {
        if (backend instanceof MongoRedisBackend mongo) {
            return mongo;
        }
        throw new IllegalArgumentException("Migrating from the TypeScript prototype needs a mongoredis: backend, not "
                + backend.describe() + "; pass --url mongoredis://host:27017/database?redis=redis://host:6379");
    }
}
