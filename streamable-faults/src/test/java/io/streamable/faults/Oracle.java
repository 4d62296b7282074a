package io.streamable.faults;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a scenario from what the producers saw acknowledged and what every consumer process
 * delivered, in the order each delivered it.
 *
 * <ul>
 *   <li><b>lost</b>: an acknowledged message that no consumer process delivered, unless a newer
 *       message with its logCompactId (the same sharding key, since the suite's ids belong to one
 *       key) was delivered: compaction may remove a superseded message before a reader gets there.
 *       A delivered message was stored, so it supersedes whether or not its ack reached the
 *       producer before the producer was killed.</li>
 *   <li><b>duplicates</b>: deliveries beyond the first of each message, across processes.</li>
 *   <li><b>reorders</b>: per consumer process and sharding key, a message delivered for the first
 *       time in that process after a message produced later. Going back to redeliver what the
 *       process already delivered is a duplicate, not a reorder.</li>
 *   <li><b>reused</b>: positions acknowledged to two different messages. A position is where the
 *       backend stored a message, so it is handed out once; a reused one means a message was
 *       stored where a reader may already have passed, or over another.</li>
 * </ul>
 */
public final class Oracle {
    private static final int SAMPLES = 5;

    private Oracle() {
    }

    /**
     * @param acked      every acknowledged message (an id may appear once)
     * @param deliveries per consumer process, its deliveries in order
     */
    public static Verdict judge(Collection<Entry> acked, Collection<List<Entry>> deliveries) {
        Set<String> delivered = new HashSet<>();
        Map<String, Entry> newestDeliveredPerCompactId = new HashMap<>();
        long deliveryCount = 0;
        long reorders = 0;
        List<String> reorderSamples = new ArrayList<>();
        for (List<Entry> process : deliveries) {
            Set<String> seenHere = new HashSet<>();
            Map<String, Entry> latestPerKey = new HashMap<>();
            for (Entry entry : process) {
                deliveryCount++;
                delivered.add(entry.id());
                entry.logCompactId().ifPresent(id -> newestDeliveredPerCompactId.merge(id, entry,
                        (a, b) -> Entry.PRODUCED.compare(a, b) >= 0 ? a : b));
                if (!seenHere.add(entry.id())) {
                    continue;
                }
                Entry latest = latestPerKey.get(entry.key());
                if (latest != null && Entry.PRODUCED.compare(entry, latest) < 0) {
                    reorders++;
                    if (reorderSamples.size() < SAMPLES) {
                        reorderSamples.add(entry.id() + "@" + entry.position() + " after " + latest.id() + "@"
                                + latest.position());
                    }
                } else {
                    latestPerKey.put(entry.key(), entry);
                }
            }
        }
        Map<String, Entry> distinctAcked = new LinkedHashMap<>();
        acked.forEach(entry -> distinctAcked.putIfAbsent(entry.id(), entry));
        long lost = 0;
        List<String> lostSamples = new ArrayList<>();
        for (Entry entry : distinctAcked.values()) {
            if (delivered.contains(entry.id()) || superseded(entry, newestDeliveredPerCompactId)) {
                continue;
            }
            lost++;
            if (lostSamples.size() < SAMPLES) {
                lostSamples.add(entry.id() + "@" + entry.position() + entry.logCompactId().map(id -> " lcid=" + id).orElse(""));
            }
        }
        Map<String, List<String>> idsPerPosition = new LinkedHashMap<>();
        distinctAcked.values().forEach(entry -> idsPerPosition.computeIfAbsent(entry.position(), p -> new ArrayList<>())
                .add(entry.id()));
        long reused = 0;
        List<String> reusedSamples = new ArrayList<>();
        for (Map.Entry<String, List<String>> position : idsPerPosition.entrySet()) {
            if (position.getValue().size() > 1) {
                reused++;
                if (reusedSamples.size() < SAMPLES) {
                    reusedSamples.add(position.getKey() + "=" + String.join("+", position.getValue()));
                }
            }
        }
        return new Verdict(distinctAcked.size(), delivered.size(), lost, deliveryCount - delivered.size(), reorders,
                reused, lostSamples, reorderSamples, reusedSamples);
    }

    private static boolean superseded(Entry entry, Map<String, Entry> newestDelivered) {
        return entry.logCompactId()
                .map(newestDelivered::get)
                .filter(newest -> newest.key().equals(entry.key()) && Entry.PRODUCED.compare(newest, entry) > 0)
                .isPresent();
    }

    /** Handlings of one sharding key by two processes at overlapping times. */
    public record Overlaps(long count, List<String> samples) {
        public Overlaps {
            samples = List.copyOf(samples);
        }
    }

    /**
     * Finds one sharding key handled by two processes at once. Intervals are compared strictly:
     * one that ends in the microsecond the other starts does not overlap it. All the suite's
     * processes run on one machine and read one system clock, so an interval that ended before
     * another began has the smaller timestamp (unless the clock is stepped during the run).
     *
     * @param handlings per process, its handling intervals
     * @return how many intervals overlap one of another process for the same key, with samples
     */
    public static Overlaps overlaps(List<List<Handling>> handlings) {
        record Owned(int process, Handling handling) {
        }
        Map<String, List<Owned>> perKey = new HashMap<>();
        for (int process = 0; process < handlings.size(); process++) {
            for (Handling handling : handlings.get(process)) {
                perKey.computeIfAbsent(handling.key(), key -> new ArrayList<>()).add(new Owned(process, handling));
            }
        }
        long count = 0;
        List<String> samples = new ArrayList<>();
        for (List<Owned> owned : perKey.values()) {
            owned.sort(java.util.Comparator.comparingLong(o -> o.handling().startMicros()));
            // per process, the interval that ends last among those started so far
            Map<Integer, Handling> latestEnding = new HashMap<>();
            for (Owned next : owned) {
                for (Map.Entry<Integer, Handling> other : latestEnding.entrySet()) {
                    if (other.getKey() != next.process() && other.getValue().endMicros() > next.handling().startMicros()) {
                        count++;
                        if (samples.size() < SAMPLES) {
                            samples.add(next.handling().id() + " in process " + next.process() + " from "
                                    + next.handling().startMicros() + " while " + other.getValue().id() + " in process "
                                    + other.getKey() + " until " + other.getValue().endMicros());
                        }
                        break;
                    }
                }
                latestEnding.merge(next.process(), next.handling(),
                        (a, b) -> a.endMicros() >= b.endMicros() ? a : b);
            }
        }
        return new Overlaps(count, samples);
    }
}
