package io.streamable.faults;

import java.util.Comparator;
import java.util.Optional;

/**
 * One line of a producer's acknowledgement log or a consumer's delivery log:
 * {@code key incarnation seq logCompactId|- position}.
 *
 * @param key          sharding key
 * @param incarnation  producer incarnation that wrote the message
 * @param seq          sequence number within that incarnation
 * @param logCompactId the message's logCompactId, if it had one
 * @param position     where the backend stored it, encoded
 */
public record Entry(String key, int incarnation, long seq, Optional<String> logCompactId, String position) {

    /** Production order within one sharding key. */
    public static final Comparator<Entry> PRODUCED = Comparator.comparingInt(Entry::incarnation)
            .thenComparingLong(Entry::seq);

    /** The message's identity: the same in the producer's log and in every consumer's. */
    public String id() {
        return key + '/' + incarnation + '/' + seq;
    }

    /** The line written to a log, without the line break. */
    public String line() {
        return key + ' ' + incarnation + ' ' + seq + ' ' + logCompactId.orElse("-") + ' ' + position;
    }

    /**
     * Parses what {@link #line()} wrote.
     *
     * @throws IllegalArgumentException if the line is not an entry
     */
    public static Entry parse(String line) {
        String[] parts = line.split(" ");
        if (parts.length != 5) {
            throw new IllegalArgumentException("Not a fault-suite log line (key incarnation seq lcid position): " + line);
        }
        return new Entry(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]),
                "-".equals(parts[3]) ? Optional.empty() : Optional.of(parts[3]), parts[4]);
    }
}
