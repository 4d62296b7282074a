package io.streamable.backend.inmemory;

import io.streamable.Position;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.Rebalance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * One consumer name's group on one topic: the slot table (committed offset, owner and target
 * owner per slot) and the live members with their leases. Guarded by the topic's lock: every
 * method is called under it.
 *
 * <p>An exclusive reader ({@code TopicStore.openReader}) is a member that owns every slot and
 * keeps others out. Group members share: the target assignment is recomputed, sticky and
 * balanced, once membership has been still for the debounce (at once when one member is left),
 * and each member moves towards it in its own reads: it releases a revoked slot and takes a free
 * one only after its rebalance listener returned. So a slot is owned by at most one member, and
 * moves only once its owner let it go, closed, or let its lease expire.
 */
final class InMemoryGroup {
    private final String name;
    private final int slotCount;
    private final long debounceNanos;
    /** Per slot, the highest offset handled and committed; -1 for none (the group started at the beginning). */
    private final long[] committed;
    private final Member[] owner;
    /** Per slot, the epoch of the member it should go to; 0 for none. */
    private final long[] target;
    /** Live members by epoch, oldest first. */
    private final Map<Long, Member> members = new LinkedHashMap<>();
    private boolean dirty;
    private long changedAtNanos;

    /**
     * @param start where every slot starts: the offset after which it is read, -1 for the beginning
     */
    InMemoryGroup(String name, int slotCount, long debounceNanos, long start) {
        this.name = name;
        this.slotCount = slotCount;
        this.debounceNanos = debounceNanos;
        this.committed = new long[slotCount];
        this.owner = new Member[slotCount];
        this.target = new long[slotCount];
        Arrays.fill(committed, start);
    }

    String name() {
        return name;
    }

    int slotCount() {
        return slotCount;
    }

    /** A member's state: its lease, its slots and where its reads stand. Guarded by the topic's lock. */
    static final class Member {
        final String groupName;
        final long epoch;
        final boolean exclusive;
        long expiresAtNanos;
        final boolean[] owned;
        int ownedCount;
        /** Per owned slot, the lowest offset still to deliver: below it the slot's records were handed out or committed. */
        final long[] floor;
        /** The next offset of the log to look at. */
        long scan;
        /** The highest floor of an owned slot: from there on every record of an owned slot is delivered. */
        long maxFloor;
        /** Whether this member has handed out a record yet: until then a slot never committed starts at the oldest kept record silently. */
        boolean delivered;
        /** What {@code slots()} returns, for any thread. */
        volatile Set<Integer> snapshot = Set.of();

        Member(String groupName, long epoch, boolean exclusive, int slotCount, long expiresAtNanos) {
            this.groupName = groupName;
            this.epoch = epoch;
            this.exclusive = exclusive;
            this.owned = new boolean[slotCount];
            this.floor = new long[slotCount];
            this.expiresAtNanos = expiresAtNanos;
        }

        /** Whether this member delivers the record at {@code offset} whose key has {@code slot}. */
        boolean delivers(long offset, int slot) {
            return owned[slot] && offset >= floor[slot];
        }

        /** Whether every record from {@code offset} on is delivered, so no slot need be computed. */
        boolean deliversAllFrom(long offset) {
            return ownedCount == owned.length && offset >= maxFloor;
        }

        String id() {
            return Long.toString(epoch);
        }
    }

    Member member(long epoch) {
        return members.get(epoch);
    }

    /** Epochs of the live members, for error messages. */
    List<Long> epochs() {
        return new ArrayList<>(members.keySet());
    }

    boolean hasMembers() {
        return !members.isEmpty();
    }

    boolean hasExclusiveMember() {
        return members.values().stream().anyMatch(member -> member.exclusive);
    }

    /**
     * Adds a member. With no other member it owns every slot at once (nothing was handed out yet,
     * so no listener is needed); otherwise it waits for its share.
     */
    Member join(long epoch, boolean exclusive, long now, long ttlNanos, long logSize) {
        Member member = new Member(name, epoch, exclusive, slotCount, now + ttlNanos);
        boolean alone = members.isEmpty();
        members.put(epoch, member);
        if (alone) {
            for (int slot = 0; slot < slotCount; slot++) {
                target[slot] = epoch;
                if (owner[slot] == null) {
                    take(member, slot);
                }
            }
            dirty = false;
            rescan(member, logSize);
        } else {
            changed(now);
            member.scan = logSize;
        }
        return member;
    }

    /** Where a member that just joined starts: after the lowest committed offset of its slots. */
    Optional<Position> startOf(Member member) {
        long lowest = Long.MAX_VALUE;
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot]) {
                lowest = Math.min(lowest, member.floor[slot] - 1);
            }
        }
        return lowest == Long.MAX_VALUE || lowest < 0 ? Optional.empty() : Optional.of(Position.of(lowest));
    }

    void renew(Member member, long now, long ttlNanos) {
        member.expiresAtNanos = now + ttlNanos;
    }

    /** Removes members (other than {@code keep}) whose lease expired; their slots become free. */
    boolean expire(long now, Member keep) {
        List<Member> expired = null; // checked on every read and commit: allocate only when one expired
        for (Member member : members.values()) {
            if (member != keep && now - member.expiresAtNanos >= 0) {
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(member);
            }
        }
        if (expired == null) {
            return false;
        }
        expired.forEach(member -> remove(member, now));
        return true;
    }

    /** Whether a member's lease is still running. */
    boolean hasLiveMember(long now) {
        return members.values().stream().anyMatch(member -> now - member.expiresAtNanos < 0);
    }

    /** A member leaves (closed, or its lease expired): its slots become free with their committed offsets. */
    void remove(Member member, long now) {
        if (members.remove(member.epoch) == null) {
            return;
        }
        for (int slot = 0; slot < slotCount; slot++) {
            if (owner[slot] == member) {
                owner[slot] = null;
                member.owned[slot] = false;
            }
        }
        member.ownedCount = 0;
        member.snapshot = Set.of();
        changed(now);
    }

    private void changed(long now) {
        dirty = true;
        changedAtNanos = now;
    }

    /**
     * The change this member should make now, or null: slots it owns that its target no longer
     * has (revoked), and free slots its target has (assigned). Recomputes the target first once
     * membership has been still for the debounce, or at once when one member is left.
     */
    Rebalance changeFor(Member member, long now) {
        if (dirty && (members.size() == 1 || now - changedAtNanos >= debounceNanos)) {
            assign();
            dirty = false;
        }
        if (!hasChange(member)) {
            return null; // the common case, on every read: no allocation
        }
        Set<Integer> revoked = new TreeSet<>();
        Set<Integer> assigned = new TreeSet<>();
        boolean rewinds = false;
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot] && target[slot] != member.epoch) {
                revoked.add(slot);
            } else if (!member.owned[slot] && target[slot] == member.epoch && owner[slot] == null) {
                assigned.add(slot);
                // read again from below where this member's reads stand: positions go back
                rewinds |= member.ownedCount > 0 && committed[slot] + 1 < member.scan;
            }
        }
        if (revoked.isEmpty() && assigned.isEmpty()) {
            return null;
        }
        return new Rebalance(revoked, assigned, slotCount, rewinds);
    }

    /**
     * Whether the member holds exactly its share of an assignment computed with it: a member that
     * joined beside a holder (perhaps a crashed one whose lease has not expired yet) has read
     * nothing of its share until then, so it is not caught up, however few slots it owns now.
     */
    boolean settled(Member member) {
        if (dirty) {
            return false;
        }
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot] != (target[slot] == member.epoch)) {
                return false;
            }
        }
        return true;
    }

    private boolean hasChange(Member member) {
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot] ? target[slot] != member.epoch : target[slot] == member.epoch && owner[slot] == null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the change the member's listener has just seen: releases the revoked slots and takes
     * those assigned that are still free and still meant for it. Returns whether a slot was freed.
     */
    boolean apply(Member member, Rebalance change, long logSize) {
        boolean freed = false;
        for (int slot : change.revoked()) {
            if (owner[slot] == member) {
                owner[slot] = null;
                member.owned[slot] = false;
                member.ownedCount--;
                freed = true;
            }
        }
        // slots it keeps: their records below the scan were handed out before the change
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot]) {
                member.floor[slot] = Math.max(member.floor[slot], member.scan);
            }
        }
        for (int slot : change.assigned()) {
            if (owner[slot] == null && target[slot] == member.epoch) {
                take(member, slot);
            }
        }
        rescan(member, logSize);
        return freed;
    }

    private void take(Member member, int slot) {
        owner[slot] = member;
        member.owned[slot] = true;
        member.ownedCount++;
        member.floor[slot] = committed[slot] + 1;
    }

    /** Restarts the member's scan at its lowest floor, and refreshes what it reports. */
    private void rescan(Member member, long logSize) {
        long lowest = Long.MAX_VALUE;
        long highest = 0;
        Set<Integer> slots = new TreeSet<>();
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot]) {
                lowest = Math.min(lowest, member.floor[slot]);
                highest = Math.max(highest, member.floor[slot]);
                slots.add(slot);
            }
        }
        member.scan = lowest == Long.MAX_VALUE ? logSize : lowest;
        member.maxFloor = highest;
        member.snapshot = Set.copyOf(slots);
    }

    /**
     * The target assignment: balanced (each member gets the slot count divided by the member count,
     * rounded down or up), sticky (a member keeps up to its share of the slots it was meant to
     * have; the members that have the most get the rounded-up shares), the rest spread over the
     * members below their share, oldest first.
     */
    private void assign() {
        List<Member> live = new ArrayList<>(members.values());
        if (live.isEmpty()) {
            Arrays.fill(target, 0);
            return;
        }
        Map<Long, List<Integer>> current = new LinkedHashMap<>();
        live.forEach(member -> current.put(member.epoch, new ArrayList<>()));
        List<Integer> pool = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++) {
            List<Integer> mine = current.get(target[slot]);
            if (mine != null) {
                mine.add(slot);
            } else {
                pool.add(slot);
            }
        }
        int base = slotCount / live.size();
        int extra = slotCount % live.size();
        List<Member> byHolding = new ArrayList<>(live);
        byHolding.sort(Comparator.comparingInt((Member member) -> current.get(member.epoch).size()).reversed());
        Map<Long, Integer> quota = new LinkedHashMap<>();
        for (int i = 0; i < byHolding.size(); i++) {
            quota.put(byHolding.get(i).epoch, base + (i < extra ? 1 : 0));
        }
        for (Member member : live) {
            List<Integer> mine = current.get(member.epoch);
            int share = quota.get(member.epoch);
            while (mine.size() > share) {
                pool.add(mine.remove(mine.size() - 1));
            }
        }
        pool.sort(null);
        Arrays.fill(target, 0);
        for (Member member : live) {
            List<Integer> mine = current.get(member.epoch);
            int share = quota.get(member.epoch);
            while (mine.size() < share && !pool.isEmpty()) {
                mine.add(pool.remove(0));
            }
            mine.forEach(slot -> target[slot] = member.epoch);
        }
    }

    /**
     * Where retention removed records the member had still to deliver, before it read them: the
     * lowest offset below {@code lowWater} that an owned slot still had to deliver, or -1 for none.
     * A slot never committed ({@code -1}) of a member that has delivered nothing yet starts at the
     * beginning, which is simply the oldest record kept, as for an anonymous reader; any other
     * slot lost records that were never committed, and the gap is reported.
     */
    long unreadBelow(Member member, long lowWater) {
        long lowest = Long.MAX_VALUE;
        for (int slot = 0; slot < slotCount; slot++) {
            if (!member.owned[slot] || (committed[slot] < 0 && !member.delivered)) {
                continue;
            }
            long from = Math.max(member.floor[slot], member.scan);
            if (from < lowWater) {
                lowest = Math.min(lowest, from);
            }
        }
        return lowest == Long.MAX_VALUE ? -1 : lowest;
    }

    /** Advances each slot the member owns to {@code offset}. */
    void commit(Member member, long offset) {
        for (int slot = 0; slot < slotCount; slot++) {
            if (member.owned[slot] && committed[slot] < offset) {
                committed[slot] = offset;
            }
        }
    }

    /** The conservative position: the lowest committed offset; empty while a slot has none. */
    Optional<Position> savedPosition() {
        long lowest = Long.MAX_VALUE;
        for (long offset : committed) {
            lowest = Math.min(lowest, offset);
        }
        return lowest < 0 ? Optional.empty() : Optional.of(Position.of(lowest));
    }

    /** Sets every slot, offline: to after {@code offset}, or to the beginning for -1. */
    void resetAll(long offset) {
        Arrays.fill(committed, offset);
    }

    long committed(int slot) {
        return committed[slot];
    }

    /**
     * When a waiting member should look again even if nothing is appended: the debounce's end,
     * or the earliest lease of another member that may expire. {@code Long.MAX_VALUE} for never.
     */
    long nanosUntilNextEvent(long now, Member self) {
        long next = Long.MAX_VALUE;
        if (dirty) {
            next = Math.max(0, changedAtNanos + debounceNanos - now);
        }
        for (Member member : members.values()) {
            if (member != self) {
                next = Math.min(next, Math.max(0, member.expiresAtNanos - now));
            }
        }
        return next;
    }

    /** The group as tools see it; {@code lagOf} counts a slot's records after an offset. */
    GroupDescription describe(java.util.function.BiFunction<Integer, Long, Long> lagOf) {
        List<GroupDescription.Member> described = new ArrayList<>();
        for (Member member : members.values()) {
            described.add(new GroupDescription.Member(member.id(), member.snapshot));
        }
        List<GroupDescription.SlotState> slots = new ArrayList<>();
        for (int slot = 0; slot < slotCount; slot++) {
            long offset = committed[slot];
            slots.add(new GroupDescription.SlotState(slot, offset < 0 ? Optional.empty() : Optional.of(Position.of(offset)),
                    Optional.ofNullable(owner[slot]).map(Member::id), lagOf.apply(slot, offset)));
        }
        return new GroupDescription(name, slotCount, described, slots);
    }
}
