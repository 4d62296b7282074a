package io.streamable.backend.mongoredis;

import com.mongodb.MongoCursorNotFoundException;
import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.cursor.TimeoutMode;
import com.mongodb.client.model.Sorts;
import io.streamable.Position;
import io.streamable.Slots;
import io.streamable.backend.StoredRecord;
import org.bson.BsonBinaryReader;
import org.bson.BsonType;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.Codec;
import org.bson.conversions.Bson;
import org.bson.types.Binary;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The scan both readers share ({@link MongoTopicReader}, {@link MongoGroupReader}): one cursor over
 * a topic's documents in {@code _id} order (the store's read concern, {@code timeoutMode=ITERATION}
 * so the operation timeout bounds each round trip, not a cursor a slow handler keeps open), from
 * which each {@link #next} takes a batch of at most {@code max} records and at most
 * {@link #MAX_BATCH_BYTES} of payload (always at least one record: a document that does not fit
 * waits for the next batch). Every document is first shown to the reader's {@link Visitor}, which
 * checks the ids (continuity, gaps, slots) and says whether to deliver it, pass it (a compacted stub,
 * another member's slot, a position already handed out) or stop before it (a gap). The cursor is
 * closed once exhausted, stopped or broken; the reader opens the next one where it stands.
 *
 * <p>Documents arrive as raw bytes and are read once, field by field ({@link Scanned}): no
 * {@link Document} map per message. A document whose fields are not all of the types this backend
 * writes is decoded as a {@link Document} and judged exactly as before ({@link MongoTopicStore#toRecord},
 * {@link MongoGroups#slotOf}), so foreign and malformed documents keep their behaviour.
 */
final class MongoScan {
    /** The most documents one round trip of the cursor carries. */
    static final int MAX_CURSOR_BATCH = 1000;
    /** A batch holds at most this many payload bytes (but always at least one record). */
    static final long MAX_BATCH_BYTES = 16L * 1024 * 1024;
    /** Documents decoded as the readers decoded them before the raw path: embedded documents raw. */
    private static final Codec<Document> DOCUMENTS = MongoTopicStore.RAW_EMBEDDED.get(Document.class);

    /** What a reader makes of the next document. */
    enum Verdict {
        /** Decode it and add it to the batch. */
        DELIVER,
        /** Passed without delivering (a stub, another slot, a position already handed out). */
        PASS,
        /** Leave it and end the batch here; the cursor is closed. */
        STOP
    }

    /** Looks at each document of the scan, in {@code _id} order, before it is delivered. */
    @FunctionalInterface
    interface Visitor {
        /**
         * Decides what happens to {@code document}.
         *
         * @param document the next document
         * @return deliver, pass or stop
         */
        Verdict visit(Scanned document);
    }

    /** How a batch ended. */
    enum End {
        /** {@code max} records or the byte bound reached; the cursor stays open for the next batch. */
        FULL,
        /** The cursor returned everything it matched; closed. */
        EXHAUSTED,
        /** The visitor stopped before a document; closed. */
        STOPPED,
        /** The server dropped the idle cursor (a slow handler) or the thread was interrupted; closed. */
        LOST_CURSOR,
        /** MongoDB failed after some records were read; closed, the records are returned. */
        FAILED
    }

    /**
     * One batch of the scan.
     *
     * @param records the records delivered, in {@code _id} order
     * @param end     how the batch ended
     */
    record Batch(List<StoredRecord> records, End end) {
    }

    private final MongoCollection<RawBsonDocument> collection;
    private MongoCursor<RawBsonDocument> cursor;
    /** A document read from the cursor that did not fit the last batch's byte bound. */
    private Scanned lookahead;

    MongoScan(MongoTopicStore store) {
        this.collection = store.collection().withDocumentClass(RawBsonDocument.class);
    }

    /** Whether a cursor is open: the next {@link #next} continues it without a query. */
    boolean isOpen() {
        return cursor != null;
    }

    /**
     * Opens the cursor over {@code filter}, sorted by {@code _id}, fetching at most {@code max + 1}
     * documents a round trip (the one after a full batch shows whether more follow).
     */
    void open(Bson filter, int max) {
        close();
        cursor = collection.find(filter).sort(Sorts.ascending(MongoTopicStore.ID))
                .timeoutMode(TimeoutMode.ITERATION).batchSize(Math.min(max + 1, MAX_CURSOR_BATCH)).cursor();
    }

    /**
     * The next batch of the open cursor (see the class javadoc).
     *
     * @throws InterruptedException if the thread was interrupted before any record was read (after
     *                              some, they are returned as {@link End#LOST_CURSOR} with the
     *                              interrupt flag set again)
     * @throws MongoException       if MongoDB failed before any record was read; the cursor is closed
     */
    Batch next(int max, Visitor visitor) throws InterruptedException {
        List<StoredRecord> records = new ArrayList<>(Math.min(max, MAX_CURSOR_BATCH));
        long bytes = 0;
        boolean done = false;
        try {
            while (records.size() < max) {
                Scanned document = lookahead;
                lookahead = null;
                if (document == null) {
                    if (!cursor.hasNext()) {
                        done = true;
                        close();
                        return new Batch(records, End.EXHAUSTED);
                    }
                    document = new Scanned(cursor.next());
                }
                long size = document.payloadBytes();
                if (!records.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
                    lookahead = document; // the next batch starts with it
                    break;
                }
                Verdict verdict = visitor.visit(document);
                if (verdict == Verdict.STOP) {
                    done = true;
                    close();
                    return new Batch(records, End.STOPPED);
                }
                if (verdict == Verdict.DELIVER) {
                    records.add(document.toRecord());
                    bytes += size;
                }
            }
            done = true;
            return new Batch(records, End.FULL);
        } catch (MongoInterruptedException e) {
            done = true;
            close();
            if (!records.isEmpty()) {
                Thread.currentThread().interrupt();
                return new Batch(records, End.LOST_CURSOR);
            }
            InterruptedException interrupted = new InterruptedException("Interrupted while reading a topic");
            interrupted.initCause(e);
            throw interrupted;
        } catch (MongoCursorNotFoundException e) {
            done = true;
            close(); // the server dropped an idle cursor (a slow handler): query again from where the reader is
            return new Batch(records, End.LOST_CURSOR);
        } catch (MongoException e) {
            done = true;
            close();
            if (records.isEmpty()) {
                throw e;
            }
            return new Batch(records, End.FAILED);
        } finally {
            if (!done) {
                close(); // the visitor threw (lost data reported): nothing more is read from this cursor
            }
        }
    }

    /** Closes the cursor, if open, and forgets the document kept for the next batch. */
    void close() {
        lookahead = null;
        if (cursor != null) {
            try {
                cursor.close();
            } catch (RuntimeException ignored) {
                // the server may be gone; the cursor dies with the connection
            }
            cursor = null;
        }
    }

    /** The payload bytes a document counts against {@link #MAX_BATCH_BYTES}, as decoded by the Document path. */
    static long payloadBytes(Document document) {
        Object payload = document.get(MongoTopicStore.PAYLOAD);
        if (payload instanceof RawBsonDocument embedded) {
            return embedded.getByteLength(); // about the size of its JSON
        }
        return payload instanceof Binary binary ? binary.length() : 0;
    }

    /**
     * One document of a scan, read from its raw bytes in one pass. When every field this backend
     * reads has the type it writes (and none is repeated), the record is built from those fields;
     * otherwise every question is answered from the document decoded as a {@link Document}, as the
     * readers did before, so a foreign or malformed document is judged exactly as it was.
     */
    static final class Scanned {
        private static final int SEEN_ID = 1;
        private static final int SEEN_KEY = 1 << 1;
        private static final int SEEN_SLOT = 1 << 2;
        private static final int SEEN_COMPACTED = 1 << 3;
        private static final int SEEN_CREATED_AT = 1 << 4;
        private static final int SEEN_COMPACT_ID = 1 << 5;
        private static final int SEEN_HEADERS = 1 << 6;
        private static final int SEEN_PAYLOAD = 1 << 7;

        private final RawBsonDocument raw;
        /** The fallback decode, made once when needed. */
        private Document document;
        /** Id, slot, stub and payload size are known from the bytes ({@code _id} a number this backend writes, no field repeated). */
        private boolean exact = true;
        /** The fields of a record all have the types this backend writes: the record comes from them. */
        private boolean regular = true;
        private long id = -1;
        private Object rawId;
        private String key;
        private int storedSlot = -1;
        private boolean stub;
        private long createdAt;
        private String compactId;
        private Map<String, String> headers = Map.of();
        private byte[] binary;
        private RawBsonDocument embedded;

        Scanned(RawBsonDocument raw) {
            this.raw = raw;
            ByteBuffer bytes = ByteBuffer.wrap(raw.getBackingArray(), raw.getByteOffset(), raw.getByteLength()).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            try (BsonBinaryReader reader = new BsonBinaryReader(bytes)) {
                parse(reader, bytes);
            } catch (RuntimeException e) {
                // bytes the one-pass reader does not follow: the Document decode judges them
                exact = false;
                regular = false;
            }
        }

        private void parse(BsonBinaryReader reader, ByteBuffer bytes) {
            int seen = 0;
            boolean createdAtSeen = false;
            reader.readStartDocument();
            while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
                String name = reader.readName();
                BsonType type = reader.getCurrentBsonType();
                int field;
                switch (name) {
                    case MongoTopicStore.ID -> {
                        field = SEEN_ID;
                        readId(reader, type);
                    }
                    case MongoTopicStore.SHARDING_KEY -> {
                        field = SEEN_KEY;
                        if (type == BsonType.STRING) {
                            key = reader.readString();
                        } else {
                            regular = false;
                            reader.skipValue();
                        }
                    }
                    case MongoGroups.SLOT -> {
                        field = SEEN_SLOT;
                        if (type == BsonType.INT32) {
                            storedSlot = reader.readInt32();
                        } else {
                            reader.skipValue(); // not an Int32: the slot comes from the key
                        }
                    }
                    case MongoTopicStore.COMPACTED -> {
                        field = SEEN_COMPACTED;
                        if (type == BsonType.BOOLEAN) {
                            stub = reader.readBoolean();
                        } else {
                            reader.skipValue();
                        }
                    }
                    case MongoTopicStore.CREATED_AT -> {
                        field = SEEN_CREATED_AT;
                        if (type == BsonType.DATE_TIME) {
                            createdAt = reader.readDateTime();
                            createdAtSeen = true;
                        } else {
                            regular = false;
                            reader.skipValue();
                        }
                    }
                    case MongoTopicStore.LOG_COMPACT_ID -> {
                        field = SEEN_COMPACT_ID;
                        if (type == BsonType.STRING) {
                            compactId = reader.readString();
                        } else {
                            regular &= type == BsonType.NULL; // null: no compaction id, as a Document reads it
                            reader.skipValue();
                        }
                    }
                    case MongoTopicStore.HEADERS -> {
                        field = SEEN_HEADERS;
                        if (type == BsonType.ARRAY) {
                            readHeaders(reader);
                        } else {
                            regular &= type == BsonType.NULL; // null: no headers
                            reader.skipValue();
                        }
                    }
                    case MongoTopicStore.PAYLOAD -> {
                        field = SEEN_PAYLOAD;
                        if (type == BsonType.BINARY) {
                            binary = reader.readBinaryData().getData();
                        } else if (type == BsonType.DOCUMENT) {
                            // a view of the embedded document's bytes, no copy
                            int start = reader.getBsonInput().getPosition();
                            int length = bytes.getInt(start);
                            embedded = new RawBsonDocument(raw.getBackingArray(), raw.getByteOffset() + start, length);
                            reader.skipValue();
                        } else {
                            regular = false;
                            reader.skipValue();
                        }
                    }
                    default -> {
                        field = 0;
                        reader.skipValue();
                    }
                }
                if ((seen & field) != 0) {
                    exact = false; // a repeated field: which one counts is the Document decode's business
                    regular = false;
                }
                seen |= field;
            }
            reader.readEndDocument();
            if (key == null || !createdAtSeen || (binary == null && embedded == null)) {
                regular = false;
            }
            if ((seen & SEEN_ID) == 0) {
                exact = false;
                regular = false;
            }
        }

        private void readId(BsonBinaryReader reader, BsonType type) {
            switch (type) {
                case INT64 -> {
                    id = reader.readInt64();
                    rawId = id;
                }
                case INT32 -> {
                    int value = reader.readInt32();
                    id = value;
                    rawId = value;
                }
                case DOUBLE -> {
                    double value = reader.readDouble();
                    rawId = value;
                    // as MongoTopicStore.idOf: a whole number a double holds exactly
                    id = value == Math.rint(value) && value > 0 && value < 0x1p53 ? (long) value : -1;
                }
                default -> {
                    exact = false;
                    regular = false;
                    reader.skipValue();
                }
            }
        }

        /** Headers as this backend writes them, {@code [{n: string, v: string}]}; anything else is not regular. */
        private void readHeaders(BsonBinaryReader reader) {
            Map<String, String> read = new LinkedHashMap<>();
            reader.readStartArray();
            while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
                if (!regular || reader.getCurrentBsonType() != BsonType.DOCUMENT) {
                    regular = false;
                    reader.skipValue();
                    continue;
                }
                String name = null;
                String value = null;
                boolean nameSeen = false;
                boolean valueSeen = false;
                reader.readStartDocument();
                while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
                    String field = reader.readName();
                    boolean isName = field.equals("n");
                    boolean isValue = field.equals("v");
                    if ((isName && nameSeen) || (isValue && valueSeen)) {
                        regular = false;
                    }
                    if ((isName || isValue) && reader.getCurrentBsonType() == BsonType.STRING) {
                        if (isName) {
                            name = reader.readString();
                        } else {
                            value = reader.readString();
                        }
                    } else {
                        reader.skipValue();
                    }
                    nameSeen |= isName;
                    valueSeen |= isValue;
                }
                reader.readEndDocument();
                if (name == null || value == null) {
                    regular = false;
                } else {
                    read.put(name, value);
                }
            }
            reader.readEndArray();
            if (regular) {
                headers = read;
            }
        }

        private Document document() {
            if (document == null) {
                document = raw.decode(DOCUMENTS);
            }
            return document;
        }

        /** The document's position, or -1 when its {@code _id} is not a whole number ({@link MongoTopicStore#idOf}). */
        long id() {
            return exact ? id : MongoTopicStore.idOf(document());
        }

        /** The {@code _id} as stored, for messages. */
        Object rawId() {
            return exact ? rawId : document().get(MongoTopicStore.ID);
        }

        /** Whether it is a compacted stub, which readers skip ({@link MongoTopicStore#isStub}). */
        boolean isStub() {
            return exact ? stub : MongoTopicStore.isStub(document());
        }

        /** The key's slot among {@code slotCount}: the stored field, else computed from the key ({@link MongoGroups#slotOf}). */
        int slot(int slotCount) {
            if (!exact) {
                return MongoGroups.slotOf(document(), slotCount);
            }
            if (storedSlot >= 0 && storedSlot < slotCount) {
                return storedSlot;
            }
            return Slots.slotOf(key != null ? key : "", slotCount);
        }

        /** The payload bytes it counts against the batch bound. */
        long payloadBytes() {
            if (!exact) {
                return MongoScan.payloadBytes(document());
            }
            if (embedded != null) {
                return embedded.getByteLength();
            }
            return binary != null ? binary.length : 0;
        }

        /** The record it holds, or a malformed record saying what is wrong ({@link MongoTopicStore#toRecord}). */
        StoredRecord toRecord() {
            if (!regular) {
                return MongoTopicStore.toRecord(id(), document());
            }
            byte[] payload = binary != null ? binary : JsonBson.toJson(embedded);
            return new StoredRecord(Position.of(id), Instant.ofEpochMilli(createdAt), key, Optional.ofNullable(compactId),
                    headers, payload);
        }
    }
}
