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
}
