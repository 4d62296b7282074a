package io.streamable.backend.mongoredis;

import com.mongodb.MongoException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Retention and time search of one topic (issue 17), beside {@link MongoTopicStore} so the append
 * path stays as it was.
 *
 * <h2>The prefix-removal invariant</h2>
 * The topic's document in {@value MongoRedisBackend#RETENTION} holds its limits and its
 * <b>low-water mark</b> {@code removedBelow = L}: every id below {@code L} may be gone, every id
 * from {@code L} on is kept. Removal is two steps, in this order: raise {@code L} ({@code $max},
 * majority write concern), then delete {@code 1 <= _id < L}. {@code L} never exceeds
 * {@code max(_id)}, so <b>the newest document is never removed</b>: the claim of the next append
 * ({@code max(_id) + 1}) stays above every id ever handed out, and the ids from {@code L} to the
 * head stay dense. A claim made from older knowledge (a cached head, another connection's
 * appends and a removal since) can take a removed id; the appender reads {@code L} after each
 * insert, before it acknowledges, and appends such a round again (MongoTopicStore). A reader that finds ids missing reads {@code L}: missing ids below it were
 * removed by retention (it resumes at {@code L} and reports the positions it had not read), missing
 * ids at or above it are still data loss, detected as before.
 *
 * <h2>Which prefix</h2>
 * By count, the ids below {@code head - maxMessages + 1} (ids, so compaction stubs count as
 * positions: "about" the newest N messages); by size, as many of the newest ids as
 * {@code maxBytes} holds at the average payload size of the newest 100 documents; by age, the ids
 * up to {@link #positionBefore}{@code (now - maxAge)}, all created before the cut-off.
 *
 * <h2>Searching by time without a scan</h2>
 * {@code createdAt} is the producing process's clock when the append was written, so it ascends
 * with the ids only roughly: appends of several processes interleave, and their clocks differ.
 * Assuming no two producers' clocks differ by more than {@link #MAX_CLOCK_SKEW} (that is, a
 * document written after another never carries a time more than that much earlier), a binary
 * search over {@code [L, head]} by point reads of {@code _id} finds an id {@code P} with
 * {@code createdAt(P) < t - skew} whose successor is at or after it: then every id up to
 * {@code P} was created before {@code t}. About {@code log2(head)} point reads on the {@code _id}
 * index, no index on {@code createdAt}. The consumer then drops the records after {@code P} created
 * before {@code t}, so a start at {@code t} delivers exactly the records created at or after it.
 */
final class MongoRetention {
    private static final Logger LOG = LoggerFactory.getLogger(MongoRetention.class);
    /** The largest difference between two producers' clocks the time search tolerates. */
    static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(10);
    static final String REMOVED_BELOW = "removedBelow";
    private static final String MAX_AGE_MS = "maxAgeMs";
    private static final String MAX_MESSAGES = "maxMessages";
    private static final String MAX_BYTES = "maxBytes";
    private static final int SIZE_SAMPLE = 100;

    private static final String PENDING_BELOW = "pendingBelow";
    private static final String PENDING_SINCE = "pendingSince";
    private static final String SWEPT_AT = "sweptAt";

    private final MongoRedisBackend backend;
    private final MongoTopicStore store;
    /**
     * The removal delay G: ids below a raised mark are deleted only once the server's clock has
     * passed the raise by G, so an appender may trust a mark it read for less than G (see the
     * README, "removal delay"). Zero (the default): delete at once, and appenders read the mark
     * after every insert round.
     */
    private volatile Duration removalDelay = Duration.ZERO;

    MongoRetention(MongoRedisBackend backend, MongoTopicStore store) {
        this.backend = backend;
        this.store = store;
    }

    private MongoCollection<Document> documents() {
        return backend.retentionDocuments();
    }

    private Document settings() {
        return documents().find(Filters.eq(MongoTopicStore.ID, store.name())).first();
    }

    Retention retention() {
        try {
            return retentionOf(settings());
        } catch (MongoException e) {
            throw backend.failure("reading the retention of topic \"" + store.name() + "\"", e);
        }
    }

    private static Retention retentionOf(Document settings) {
        if (settings == null) {
            return Retention.forever();
        }
        Optional<Duration> age = settings.get(MAX_AGE_MS) instanceof Number ms
                ? Optional.of(Duration.ofMillis(ms.longValue())) : Optional.empty();
        OptionalLong count = settings.get(MAX_MESSAGES) instanceof Number n ? OptionalLong.of(n.longValue())
                : OptionalLong.empty();
        OptionalLong bytes = settings.get(MAX_BYTES) instanceof Number n ? OptionalLong.of(n.longValue())
                : OptionalLong.empty();
        return new Retention(age, count, bytes);
    }

    void setRetention(Retention retention) {
        if (retention.maxAge().isPresent() && retention.maxAge().get().toMillis() < 1) {
            throw new IllegalArgumentException("Retention maxAge " + retention.maxAge().get() + " is below MongoDB's"
                    + " millisecond resolution; use at least 1 ms");
        }
        try {
            store.ensureIndexes(); // the topic exists from now on, as after a first append
            List<Bson> updates = new ArrayList<>();
            updates.add(retention.maxAge().isPresent() ? Updates.set(MAX_AGE_MS, retention.maxAge().get().toMillis())
                    : Updates.unset(MAX_AGE_MS));
            updates.add(retention.maxMessages().isPresent() ? Updates.set(MAX_MESSAGES, retention.maxMessages().getAsLong())
                    : Updates.unset(MAX_MESSAGES));
            updates.add(retention.maxBytes().isPresent() ? Updates.set(MAX_BYTES, retention.maxBytes().getAsLong())
                    : Updates.unset(MAX_BYTES));
            updates.add(Updates.setOnInsert(REMOVED_BELOW, 1L));
            documents().updateOne(Filters.eq(MongoTopicStore.ID, store.name()), Updates.combine(updates),
                    new UpdateOptions().upsert(true));
            LOG.info("Topic \"{}\" on {} keeps its messages: {}", store.name(), backend.describe(), retention);
        } catch (MongoException e) {
            throw backend.failure("setting the retention of topic \"" + store.name() + "\"", e);
        }
        enforce();
    }

    /** Sets the removal delay (package-private: tests and future settings); see {@link #removalDelay}. */
    void removalDelay(Duration delay) {
        removalDelay = delay;
    }

    /** The removal delay in nanoseconds, 0 when records are removed at once. */
    long removalDelayNanos() {
        return removalDelay.toNanos();
    }

    /** The lowest id retention keeps (ids below it may be gone), 1 when nothing was ever removed; read from the primary. */
    long lowWater() {
        Document settings = settings();
        return settings != null && settings.get(REMOVED_BELOW) instanceof Number below ? Math.max(1, below.longValue()) : 1;
    }

    /** Removes the prefix the limits allow now; see the class javadoc for the order of the two steps. */
    void enforce() {
        try {
            Document settings = settings();
            Retention retention = retentionOf(settings);
            if (retention.isForever()) {
                return;
            }
            long head = store.maxId();
            if (head == 0) {
                return;
            }
            long low = settings.get(REMOVED_BELOW) instanceof Number below ? Math.max(1, below.longValue()) : 1;
            long cut = low;
            if (retention.maxMessages().isPresent()) {
                cut = Math.max(cut, head - retention.maxMessages().getAsLong() + 1);
            }
            if (retention.maxBytes().isPresent()) {
                cut = Math.max(cut, head - keptBySize(retention.maxBytes().getAsLong()) + 1);
            }
            if (retention.maxAge().isPresent()) {
                Instant cutOff = Instant.now().minus(retention.maxAge().get());
                cut = Math.max(cut, search(cutOff, low, head).orElse(0L) + 1);
            }
            cut = Math.min(cut, head); // never the newest document: the next claim must stay above every id
            if (!removalDelay.isZero()) {
                removeDue(retention);
            }
            if (cut > low) {
                // the mark first: a reader that meets the hole reads it and knows the hole is retention's
                documents().updateOne(Filters.eq(MongoTopicStore.ID, store.name()), Updates.max(REMOVED_BELOW, cut));
            }
            if (removalDelay.isZero()) {
                if (cut > low) {
                    remove(retention, cut);
                }
            } else if (Math.max(cut, low) > 1) {
                // the server's time after the raise returned: the delay counts from no earlier than the raise.
                // Recorded only when nothing is pending; a later raise waits for the next sweep after that removal.
                documents().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, store.name()),
                                Filters.exists(PENDING_BELOW, false)),
                        Updates.combine(Updates.set(PENDING_BELOW, Math.max(cut, low)),
                                Updates.currentDate(PENDING_SINCE)));
            }
        } catch (MongoException e) {
            throw backend.failure("applying the retention of topic \"" + store.name() + "\"", e);
        }
    }

    private void remove(Retention retention, long below) {
        long removed = store.writable().deleteMany(Filters.and(Filters.gt(MongoTopicStore.ID, 0L),
                Filters.lt(MongoTopicStore.ID, below))).getDeletedCount();
        LOG.debug("Retention ({}) removed {} document(s) of topic \"{}\" below position {}", retention, removed,
                store.name(), below);
    }

    /**
     * With a removal delay: deletes below the pending cut once the server's clock is at least the
     * delay past the time recorded after that cut was raised, then clears it (only if no other
     * sweeper replaced it), so the next raise can be recorded.
     */
    private void removeDue(Retention retention) {
        Document swept = documents().findOneAndUpdate(Filters.eq(MongoTopicStore.ID, store.name()),
                Updates.currentDate(SWEPT_AT), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        if (swept == null || !(swept.get(PENDING_BELOW) instanceof Number below)
                || !(swept.get(PENDING_SINCE) instanceof Date since) || !(swept.get(SWEPT_AT) instanceof Date now)) {
            return;
        }
        if (now.getTime() - since.getTime() < removalDelay.toMillis()) {
            return;
        }
        remove(retention, below.longValue());
        documents().updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, store.name()),
                        Filters.eq(PENDING_BELOW, below), Filters.eq(PENDING_SINCE, since)),
                Updates.combine(Updates.unset(PENDING_BELOW), Updates.unset(PENDING_SINCE)));
    }

    /** How many of the newest ids {@code maxBytes} holds, at the average payload size of the newest documents. */
    private long keptBySize(long maxBytes) {
        long total = 0;
        int sampled = 0;
        for (Document document : store.writable().find(Filters.gt(MongoTopicStore.ID, 0L))
                .projection(Projections.include(MongoTopicStore.PAYLOAD)).sort(Sorts.descending(MongoTopicStore.ID))
                .limit(SIZE_SAMPLE)) {
            Object payload = document.get(MongoTopicStore.PAYLOAD);
            total += payload instanceof Binary binary ? binary.length() : 0;
            sampled++;
        }
        long average = sampled == 0 ? 1 : Math.max(1, total / sampled);
        return Math.max(1, maxBytes / average);
    }

    /**
     * The position to start after for a start at {@code instant}: every stored record created at
     * or after it lies after the position (see the class javadoc for the clock assumption).
     */
    Optional<Position> positionBefore(Instant instant) {
        try {
            long head = store.maxId();
            if (head == 0) {
                return Optional.empty();
            }
            long low = lowWater();
            Optional<Long> found = search(instant.minus(MAX_CLOCK_SKEW), low, head);
            return found.filter(id -> id >= low).map(Position::of);
        } catch (MongoException e) {
            throw backend.failure("searching topic \"" + store.name() + "\" by time", e);
        }
    }

    /**
     * Binary search over {@code [low, head]} for an id {@code P} with {@code createdAt(P) < limit}
     * whose successor is at or after {@code limit} (or is past the head). Empty when the first
     * id searched is already at or after it. Ids removed meanwhile count as before the limit.
     */
    private Optional<Long> search(Instant limit, long low, long head) {
        long from = low;
        long to = head + 1; // virtual: "at or after" the limit
        while (from < to) {
            long middle = from + (to - from) / 2;
            if (createdAt(middle).map(created -> !created.isBefore(limit)).orElse(false)) {
                to = middle;
            } else {
                from = middle + 1;
            }
        }
        return from - 1 >= low ? Optional.of(from - 1) : Optional.empty();
    }

    /** One point read on the {@code _id} index; empty for an id that is gone or has no date. */
    private Optional<Instant> createdAt(long id) {
        Document document = store.writable().find(Filters.eq(MongoTopicStore.ID, id))
                .projection(Projections.include(MongoTopicStore.CREATED_AT)).first();
        return document != null && document.get(MongoTopicStore.CREATED_AT) instanceof Date date
                ? Optional.of(date.toInstant()) : Optional.empty();
    }

    TopicDescription describe() {
        try {
            Retention retention = retentionOf(settings());
            long low = lowWater();
            Document oldest = store.writable().find(Filters.and(Filters.gte(MongoTopicStore.ID, low),
                            Filters.ne(MongoTopicStore.COMPACTED, true)))
                    .projection(Projections.include(MongoTopicStore.CREATED_AT))
                    .sort(Sorts.ascending(MongoTopicStore.ID)).limit(1).first();
            Document newest = store.writable().find(Filters.gt(MongoTopicStore.ID, 0L))
                    .projection(Projections.include(MongoTopicStore.CREATED_AT))
                    .sort(Sorts.descending(MongoTopicStore.ID)).limit(1).first();
            return new TopicDescription(store.name(), retention, positionOf(oldest), timeOf(oldest), positionOf(newest),
                    timeOf(newest));
        } catch (MongoException e) {
            throw backend.failure("describing topic \"" + store.name() + "\"", e);
        }
    }

    private static Optional<Position> positionOf(Document document) {
        long id = document == null ? -1 : MongoTopicStore.idOf(document);
        return id > 0 ? Optional.of(Position.of(id)) : Optional.empty();
    }

    private static Optional<Instant> timeOf(Document document) {
        return document != null && document.get(MongoTopicStore.CREATED_AT) instanceof Date date
                ? Optional.of(date.toInstant()) : Optional.empty();
    }

    /** Forgets the topic's limits and mark, when the topic is deleted. */
    void delete() {
        documents().deleteOne(Filters.eq(MongoTopicStore.ID, store.name()));
    }
}
