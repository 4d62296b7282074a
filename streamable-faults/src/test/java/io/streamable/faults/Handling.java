package io.streamable.faults;

/**
 * One line of a consumer's handling log: when its handler began and ended one delivery, in epoch
 * microseconds of the machine's wall clock ({@code key incarnation seq startMicros endMicros}).
 *
 * @param key         sharding key
 * @param id          the message's identity, as {@link Entry#id()}
 * @param startMicros when the handler began
 * @param endMicros   when the handler had written the delivery
 */
public record Handling(String key, String id, long startMicros, long endMicros) {

    /**
     * Parses a handling-log line.
     *
     * @throws IllegalArgumentException if the line is not one
     */
    public static Handling parse(String line) {
        String[] parts = line.split(" ");
        if (parts.length != 5) {
            throw new IllegalArgumentException("Not a handling-log line (key incarnation seq start end): " + line);
        }
        return new Handling(parts[0], parts[0] + '/' + parts[1] + '/' + parts[2], Long.parseLong(parts[3]),
                Long.parseLong(parts[4]));
    }
}
