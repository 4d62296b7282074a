package io.streamable.backend.mongoredis;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import io.streamable.Position;
import io.streamable.Slots;
import io.streamable.StreamableException;
import io.streamable.backend.GroupDescription;
import io.streamable.consume.ConsumerNameInUseException;
import org.bson.Document;
import org.bson.conversions.Bson;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The MongoDB side of consumer groups: one group document per topic and consumer name in
 * {@value #GROUPS}, and the group's hold on the name's lease document.
 *
 * <pre>
 * {_id: "topic/name", topic, consumer, slotCount, nameEpoch, version, pending, changedAt,
 *  members: {m&lt;id&gt;: {id, owner, renewedAt, ttlMs, renewals}},
 *  slots:   {s&lt;n&gt;: {committed, owner: &lt;member id&gt; | null, target: &lt;member id&gt; | null}}}
 * </pre>
 *
 * <ul>
 *   <li>The group holds the name's lease ({@code _streamable.leases}) with the owner
 *       {@value #GROUP_OWNER}, renewed by every member's heartbeat, so an exclusive reader waits
 *       for it exactly as for another exclusive reader. Taking the lease from a released or expired
 *       holder increments its epoch and starts a new <em>generation</em> of the group: the group
 *       document gets {@code nameEpoch} = that epoch, loses its members and slot owners, and folds
 *       the name's saved position into every slot. Every member write filters on
 *       {@code nameEpoch}, so an exclusive reader, an administrator or a new generation that took
 *       the name fences every member of the old one. Member ids come from the lease document's
 *       {@code memberSeq}, which only grows.</li>
 *   <li>Every member write also filters on its own entry ({@code members.m<id>.owner}), and on
 *       {@code slots.s<n>.owner} for the slots it writes: commits ({@code $max} of
 *       {@code committed}), releases and takes. A member removed for an expired lease therefore
 *       matches nothing and is told it is fenced.</li>
 *   <li>Expiry is judged by the server's clock: members renew with {@code $currentDate}; a renewal
 *       returns the document, so a member compares the others' {@code renewedAt} with its own fresh
 *       one, both server stamps, and removes an expired member with a write that filters on the
 *       renewal count it saw ({@code renewals}, so a renewal in between wins) and on that member still owning the slots it frees. A member's own
 *       renewal filters on {@code $expr: renewedAt + ttlMs >= $$NOW}: a member past its lease can
 *       never renew itself back.</li>
 *   <li>{@code version} grows with every membership change; the target assignment (the
 *       {@code target} of every slot) is written only by a write that filters on the version it
 *       was computed from and on {@code pending}, so it always matches the membership.</li>
 * </ul>
 */
final class MongoGroups {
    /** One document per topic and consumer name that has been used as a group. */
    static final String GROUPS = "_streamable.groups";
    /** The owner a group writes into the name's lease and position documents. */
    static final String GROUP_OWNER = "(consumer group)";
    /**
     * The field of a message document holding its key's slot, for the topic's slot count
     * ({@link MongoTopicStore#slotCount()}).
     */
    static final String SLOT = "slot";
    /** The field of a group document (and of a topic's document in {@value MongoRedisBackend#TOPICS}) holding the slot count. */
    static final String SLOT_COUNT = "slotCount";

    static final String OWNER = "owner";
    static final String EPOCH = "epoch";
    static final String RENEWED_AT = "renewedAt";
    static final String TTL_MS = "ttlMs";
    /** Counts a member's renewals: an expired member is removed only if it has not renewed since it was seen. */
    static final String RENEWALS = "renewals";
    static final String MEMBER_SEQ = "memberSeq";
    static final String NAME_EPOCH = "nameEpoch";
    static final String VERSION = "version";
    static final String PENDING = "pending";
    static final String CHANGED_AT = "changedAt";
    static final String MEMBERS = "members";
    static final String SLOTS = "slots";
    static final String COMMITTED = "committed";
    static final String TARGET = "target";

    /** Server-side: a lease document's holder has not renewed within its TTL. */
    static final Bson EXPIRED = new Document("$expr", new Document("$lt", List.of(
            new Document("$add", List.of("$" + RENEWED_AT, "$" + TTL_MS)), "$$NOW")));
    private static final Bson LIVE = new Document("$expr", new Document("$gte", List.of(
            new Document("$add", List.of("$" + RENEWED_AT, "$" + TTL_MS)), "$$NOW")));

    private MongoGroups() {
    }

    static String member(long id) {
        return MEMBERS + ".m" + id;
    }

    static String slot(int slot) {
        return SLOTS + ".s" + slot;
    }

    /**
     * A stored document's slot among {@code slotCount}: its {@value #SLOT} field, or for documents
     * written before it, computed from its key.
     */
    static int slotOf(Document document, int slotCount) {
        Object stored = document.get(SLOT);
        if (stored instanceof Integer value && value >= 0 && value < slotCount) {
            return value;
        }
        Object key = document.get(MongoTopicStore.SHARDING_KEY);
        return Slots.slotOf(key instanceof String text ? text : "", slotCount);
    }

    /** A group document's slot count; documents written before the field had {@value MongoRedisSettings#DEFAULT_SLOTS}. */
    static int slotCountOf(Document group) {
        long count = number(group.get(SLOT_COUNT), MongoRedisSettings.DEFAULT_SLOTS);
        return count >= 1 && count <= MongoRedisSettings.MAX_SLOTS ? (int) count : MongoRedisSettings.DEFAULT_SLOTS;
    }

    /** Server-side: the member's own lease still runs, by the server's clock. */
    static Bson memberLive(long id) {
        String prefix = "$" + member(id) + ".";
        return new Document("$expr", new Document("$gte", List.of(
                new Document("$add", List.of(prefix + RENEWED_AT, prefix + TTL_MS)), "$$NOW")));
    }

    // ---------------------------------------------------------------- the group's document, read

    /** What a member needs of the group document: a snapshot, its arrays as long as the document's slot count. */
    record View(long nameEpoch, long version, boolean pending, Date changedAt, Map<Long, MemberEntry> members,
                long[] committed, long[] owner, long[] target) {

        static View of(Document document) {
            Document members = document.get(MEMBERS, Document.class);
            Map<Long, MemberEntry> entries = new TreeMap<>();
            if (members != null) {
                for (Object value : members.values()) {
                    if (value instanceof Document entry && entry.get("id") instanceof Number id) {
                        Object renewed = entry.get(RENEWED_AT);
                        entries.put(id.longValue(), new MemberEntry(id.longValue(), entry.getString(OWNER),
                                renewed instanceof Date date ? date : new Date(0), number(entry.get(TTL_MS), 0),
                                number(entry.get(RENEWALS), 0)));
                    }
                }
            }
            int count = slotCountOf(document);
            long[] committed = new long[count];
            long[] owner = new long[count];
            long[] target = new long[count];
            Document slots = document.get(SLOTS, Document.class);
            for (int slot = 0; slot < count; slot++) {
                Document state = slots == null ? null : slots.get("s" + slot, Document.class);
                committed[slot] = state == null ? 0 : number(state.get(COMMITTED), 0);
                owner[slot] = state == null ? 0 : number(state.get(OWNER), 0);
                target[slot] = state == null ? 0 : number(state.get(TARGET), 0);
            }
            Object changed = document.get(CHANGED_AT);
            return new View(number(document.get(NAME_EPOCH), 0), number(document.get(VERSION), 0),
                    Boolean.TRUE.equals(document.get(PENDING)), changed instanceof Date date ? date : new Date(0),
                    entries, committed, owner, target);
        }

        /** The group's slot count. */
        int slotCount() {
            return committed.length;
        }

        /** The members whose lease still runs at the server time {@code now}, oldest first. */
        List<MemberEntry> live(Date now) {
            return members.values().stream().filter(entry -> !entry.expiredAt(now)).toList();
        }

        Set<Integer> ownedBy(long id) {
            Set<Integer> slots = new TreeSet<>();
            for (int slot = 0; slot < owner.length; slot++) {
                if (owner[slot] == id) {
                    slots.add(slot);
                }
            }
            return slots;
        }

        /** The lowest committed offset over every slot: the group's conservative position. */
        long lowestCommitted() {
            long lowest = Long.MAX_VALUE;
            for (long offset : committed) {
                lowest = Math.min(lowest, offset);
            }
            return lowest;
        }
    }

    /** A member entry of the group document. */
    record MemberEntry(long id, String owner, Date renewedAt, long ttlMs, long renewals) {
        boolean expiredAt(Date now) {
            return renewedAt.getTime() + ttlMs < now.getTime();
        }
    }

    static long number(Object value, long fallback) {
        return value instanceof Number number ? number.longValue() : fallback;
    }

    // ---------------------------------------------------------------- the name's lease, held by the group

    /**
     * The name's lease as the group holds it for a joining member.
     *
     * @param epoch    the lease epoch: the group generation's {@code nameEpoch}
     * @param memberId the joining member's id, unique over the name's life
     * @param newGeneration whether this member took the lease from a released or expired holder
     */
    record Hold(long epoch, long memberId, boolean newGeneration) {
    }

    /**
     * Holds the name's lease for the group: joins the generation holding it, or takes it from a
     * released or expired holder (a new generation), or waits while an exclusive reader holds it,
     * until it expires (taken) or is renewed ({@link ConsumerNameInUseException}).
     */
    static Hold holdName(MongoRedisBackend backend, MongoTopicStore store, String name) {
        if (backend.holdsExclusivelyLocally(store.name(), name)) {
            throw MongoTopicStore.nameInUse(store.name(), name);
        }
        MongoCollection<Document> leases = backend.leases();
        String key = store.positionKey(name);
        long ttl = backend.settings.leaseTtl().toMillis();
        long giveUpAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ttl + ttl / 2);
        long pollMillis = Math.max(20, Math.min(250, ttl / 10));
        Object observed = null;
        boolean created = false;
        FindOneAndUpdateOptions after = new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER);
        while (true) {
            Document joined = leases.findOneAndUpdate(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                            Filters.eq(OWNER, GROUP_OWNER), LIVE),
                    Updates.combine(Updates.currentDate(RENEWED_AT), Updates.inc(MEMBER_SEQ, 1L)), after);
            if (joined != null) {
                return new Hold(number(joined.get(EPOCH), 0), number(joined.get(MEMBER_SEQ), 0), false);
            }
            Document taken = leases.findOneAndUpdate(Filters.and(Filters.eq(MongoTopicStore.ID, key),
                            Filters.or(Filters.eq(OWNER, null), EXPIRED)),
                    Updates.combine(Updates.set(OWNER, GROUP_OWNER), Updates.inc(EPOCH, 1L),
                            Updates.inc(MEMBER_SEQ, 1L), Updates.currentDate(RENEWED_AT), Updates.set(TTL_MS, ttl),
                            Updates.set("topic", store.name()), Updates.set("consumer", name)), after);
            if (taken != null) {
                return new Hold(number(taken.get(EPOCH), 0), number(taken.get(MEMBER_SEQ), 0), true);
            }
            Document held = leases.find(Filters.eq(MongoTopicStore.ID, key)).first();
            if (held == null) {
                if (created) {
                    throw new StreamableException("The lease document of consumer \"" + name + "\" on topic \""
                            + store.name() + "\" vanished twice while it was being taken; something deletes"
                            + " documents of " + MongoRedisBackend.LEASES + ". Stop it and start the consumer again.");
                }
                created = true;
                try {
                    // created released, as an exclusive reader creates it: epochs start at 1 and only grow
                    leases.insertOne(new Document(MongoTopicStore.ID, key).append(OWNER, null).append(EPOCH, 0L)
                            .append(RENEWED_AT, new Date(0)).append(TTL_MS, ttl)
                            .append("topic", store.name()).append("consumer", name));
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                        throw e;
                    }
                }
                continue;
            }
            if (GROUP_OWNER.equals(held.get(OWNER))) {
                continue; // the group's lease expired or was renewed between the two updates: look again
            }
            // an exclusive reader holds the name: wait until it is renewed (alive) or expires (dead)
            Object renewal = List.of(String.valueOf(held.get(EPOCH)), String.valueOf(held.get(RENEWED_AT)));
            if (observed != null && !observed.equals(renewal) || System.nanoTime() - giveUpAt >= 0) {
                throw MongoTopicStore.nameInUse(store.name(), name);
            }
            observed = renewal;
            try {
                Thread.sleep(pollMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StreamableException("Interrupted while waiting for the lease of consumer \""
                        + name + "\" on topic \"" + store.name() + "\"", e);
            }
        }
    }

    /**
     * Starts a new generation of the group at {@code epoch} (this member took the name's lease):
     * writes the epoch into the name's position document (fencing an exclusive holder before it, and
     * saving {@code start} if nothing is saved), then resets the group document's members and
     * owners and folds the saved position into every slot; creates the document on first use, with
     * the topic's {@code slotCount}.
     */
    static void startGeneration(MongoRedisBackend backend, MongoTopicStore store, String name, long epoch, long start,
                                int slotCount) {
        long saved = MongoTopicReader.fencePosition(backend, store, name, GROUP_OWNER, epoch, start);
        MongoCollection<Document> groups = backend.groups();
        String key = store.positionKey(name);
        Document existing = groups.find(Filters.eq(MongoTopicStore.ID, key)).first();
        if (existing == null) {
            Document slots = new Document();
            for (int slot = 0; slot < slotCount; slot++) {
                slots.append("s" + slot, new Document(COMMITTED, saved).append(OWNER, null).append(TARGET, null));
            }
            try {
                groups.insertOne(new Document(MongoTopicStore.ID, key).append("topic", store.name())
                        .append("consumer", name).append(SLOT_COUNT, slotCount).append(NAME_EPOCH, epoch)
                        .append(VERSION, 1L).append(PENDING, false).append(CHANGED_AT, new Date(0))
                        .append(MEMBERS, new Document()).append(SLOTS, slots));
                return;
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                existing = groups.find(Filters.eq(MongoTopicStore.ID, key)).first();
                if (existing == null) {
                    throw new StreamableException("The group document of consumer \"" + name + "\" on topic \""
                            + store.name() + "\" vanished while it was being created; something deletes documents of "
                            + GROUPS + ". Stop it and start the consumer again.");
                }
            }
        }
        requireSlotCount(existing, store, name, slotCount);
        List<Bson> updates = new ArrayList<>();
        updates.add(Updates.set(NAME_EPOCH, epoch));
        updates.add(Updates.set(MEMBERS, new Document()));
        updates.add(Updates.set(PENDING, false));
        updates.add(Updates.inc(VERSION, 1L));
        for (int slot = 0; slot < slotCount; slot++) {
            updates.add(Updates.set(slot(slot) + "." + OWNER, null));
            updates.add(Updates.set(slot(slot) + "." + TARGET, null));
            // what an exclusive reader saved after the last generation is handled for every slot
            updates.add(Updates.max(slot(slot) + "." + COMMITTED, saved));
        }
        groups.updateOne(Filters.and(Filters.eq(MongoTopicStore.ID, key), Filters.lt(NAME_EPOCH, epoch)),
                Updates.combine(updates));
    }

    /**
     * Refuses a group document whose slot count is not the topic's: its slot states would name
     * other keys than the messages' {@value #SLOT} fields. Only a document left from before the
     * topic was deleted and created again, or edited by hand, can disagree.
     */
    static void requireSlotCount(Document group, MongoTopicStore store, String name, int slotCount) {
        long count = number(group.get(SLOT_COUNT), MongoRedisSettings.DEFAULT_SLOTS);
        if (count != slotCount) {
            throw new IllegalStateException("Consumer group \"" + name + "\" on topic \"" + store.name() + "\" has "
                    + count + " slots, but the topic's messages are split into " + slotCount + " slots (recorded in "
                    + MongoRedisBackend.TOPICS + "); delete the consumer (Streamable.deleteConsumer, it forgets its"
                    + " positions) while none of its members runs, then start them again");
        }
    }

    /** The slot count of a group's document, or empty when it has none. */
    private static OptionalInt slotCountOf(MongoRedisBackend backend, Bson id) {
        Document group = backend.groups().find(id).projection(new Document(SLOT_COUNT, 1)).first();
        return group == null ? OptionalInt.empty() : OptionalInt.of(slotCountOf(group));
    }

    // ---------------------------------------------------------------- hooks for exclusive readers and admin

    /**
     * An exclusive reader took the name's lease at {@code epoch}: fences every member of the group
     * (its generation ends) and returns the group's conservative position, 0 when it has none.
     */
    static long seal(MongoRedisBackend backend, MongoTopicStore store, String name, long epoch) {
        Bson id = Filters.eq(MongoTopicStore.ID, store.positionKey(name));
        OptionalInt slotCount = slotCountOf(backend, id);
        if (slotCount.isEmpty()) {
            return 0; // the name was never used as a group
        }
        List<Bson> updates = new ArrayList<>();
        updates.add(Updates.set(NAME_EPOCH, epoch));
        updates.add(Updates.set(MEMBERS, new Document()));
        updates.add(Updates.set(PENDING, false));
        updates.add(Updates.inc(VERSION, 1L));
        for (int slot = 0; slot < slotCount.getAsInt(); slot++) {
            updates.add(Updates.set(slot(slot) + "." + OWNER, null));
            updates.add(Updates.set(slot(slot) + "." + TARGET, null));
        }
        Document sealed = backend.groups().findOneAndUpdate(Filters.and(id, Filters.lt(NAME_EPOCH, epoch)),
                Updates.combine(updates), new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
        return sealed == null ? 0 : Math.max(0, View.of(sealed).lowestCommitted());
    }

    /**
     * An administrator holds the name's lease at {@code epoch}: sets every slot to {@code offset}
     * (fencing the group's members), or deletes the group document when empty.
     */
    static void changeOffline(MongoRedisBackend backend, MongoTopicStore store, String name, long epoch,
                              OptionalLong offset) {
        Bson id = Filters.eq(MongoTopicStore.ID, store.positionKey(name));
        if (offset.isEmpty()) {
            backend.groups().deleteOne(id);
            return;
        }
        seal(backend, store, name, epoch);
        OptionalInt slotCount = slotCountOf(backend, id);
        if (slotCount.isEmpty()) {
            return; // no group document: the name's position document is all there is
        }
        List<Bson> updates = new ArrayList<>();
        for (int slot = 0; slot < slotCount.getAsInt(); slot++) {
            updates.add(Updates.set(slot(slot) + "." + COMMITTED, offset.getAsLong()));
        }
        backend.groups().updateOne(Filters.and(id, Filters.eq(NAME_EPOCH, epoch)), Updates.combine(updates));
    }

    /** The group's conservative position (its lowest committed slot), or empty when it has no group document. */
    static OptionalLong lowestCommitted(MongoRedisBackend backend, MongoTopicStore store, String name) {
        Document group = backend.groups().find(Filters.eq(MongoTopicStore.ID, store.positionKey(name))).first();
        return group == null ? OptionalLong.empty() : OptionalLong.of(View.of(group).lowestCommitted());
    }

    /** Forgets every group of a deleted topic; their members find their documents gone and are fenced. */
    static void deleteAll(MongoRedisBackend backend, String topic) {
        backend.groups().deleteMany(Filters.eq("topic", topic));
    }

    // ---------------------------------------------------------------- assignment

    /**
     * The target assignment, as the in-memory backend computes it: balanced (each member gets the
     * slot count divided by the member count, rounded down or up), sticky (a member keeps up to its
     * share of the slots it was meant to have; the members that have the most get the rounded-up
     * shares), the rest spread over the members below their share, oldest first. The slot count
     * is {@code targets.length}.
     */
    static long[] assign(long[] targets, List<Long> live) {
        int slotCount = targets.length;
        long[] next = new long[slotCount];
        if (live.isEmpty()) {
            return next;
        }
        Map<Long, List<Integer>> current = new LinkedHashMap<>();
        live.forEach(id -> current.put(id, new ArrayList<>()));
        List<Integer> pool = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++) {
            List<Integer> mine = current.get(targets[slot]);
            if (mine != null) {
                mine.add(slot);
            } else {
                pool.add(slot);
            }
        }
        int base = slotCount / live.size();
        int extra = slotCount % live.size();
        List<Long> byHolding = new ArrayList<>(live);
        byHolding.sort(Comparator.comparingInt((Long id) -> current.get(id).size()).reversed());
        Map<Long, Integer> quota = new LinkedHashMap<>();
        for (int i = 0; i < byHolding.size(); i++) {
            quota.put(byHolding.get(i), base + (i < extra ? 1 : 0));
        }
        for (Long id : live) {
            List<Integer> mine = current.get(id);
            while (mine.size() > quota.get(id)) {
                pool.add(mine.remove(mine.size() - 1));
            }
        }
        pool.sort(null);
        for (Long id : live) {
            List<Integer> mine = current.get(id);
            while (mine.size() < quota.get(id) && !pool.isEmpty()) {
                mine.add(pool.remove(0));
            }
            mine.forEach(slot -> next[slot] = id);
        }
        return next;
    }

    // ---------------------------------------------------------------- tools

    /** The group as tools see it; lag per slot counted on the {@code (slot, _id)} index. */
    static Optional<GroupDescription> describe(MongoRedisBackend backend, MongoTopicStore store, String name) {
        try {
            Document group = backend.groups().find(Filters.eq(MongoTopicStore.ID, store.positionKey(name))).first();
            if (group == null) {
                return Optional.empty();
            }
            View view = View.of(group);
            List<GroupDescription.Member> members = new ArrayList<>();
            for (MemberEntry entry : view.members().values()) {
                members.add(new GroupDescription.Member(Long.toString(entry.id()), view.ownedBy(entry.id())));
            }
            List<GroupDescription.SlotState> slots = new ArrayList<>();
            for (int slot = 0; slot < view.slotCount(); slot++) {
                long committed = view.committed()[slot];
                long lag = store.slotLag(Map.of(slot, committed));
                slots.add(new GroupDescription.SlotState(slot,
                        committed > 0 ? Optional.of(Position.of(committed)) : Optional.empty(),
                        view.owner()[slot] == 0 ? Optional.empty() : Optional.of(Long.toString(view.owner()[slot])), lag));
            }
            return Optional.of(new GroupDescription(name, view.slotCount(), members, slots));
        } catch (MongoException e) {
            throw backend.failure("describing consumer group \"" + name + "\" on topic \"" + store.name() + "\"", e);
        }
    }
}
