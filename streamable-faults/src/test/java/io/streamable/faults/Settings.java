package io.streamable.faults;

import java.time.Duration;

/**
 * How hard the suite pushes: the default fits CI (a few minutes for both backends on two cores);
 * {@code -Dstreamable.faults=long} kills and restarts more often and produces faster.
 *
 * @param name           {@code default} or {@code long}
 * @param producerKills  {@code kill -9} of a producer process, each followed by a restart
 * @param consumerKills  {@code kill -9} of the consumer process, each followed by a restart by name
 * @param pauses         SIGSTOP of the consumer past its lease, a successor started, SIGCONT
 * @param redisKills     {@code kill -9} of redis-server, restarted on its port
 * @param mongoRestarts  restarts of mongo-java-server on its H2 file
 * @param brokerKills    {@code kill -9} of the Kafka broker, restarted on its log directory
 * @param groupKills     {@code kill -9} of one member of the three-member group, each followed by a restart
 * @param groupPauses    SIGSTOP of one group member past its lease until the others took its keys, then SIGCONT
 * @param rate           messages per second per producer process
 * @param drain          how long the consumers get to deliver everything after the producers stop
 */
record Settings(String name, int producerKills, int consumerKills, int pauses, int redisKills, int mongoRestarts,
                int brokerKills, int groupKills, int groupPauses, int rate, Duration drain) {
    /** The system property that selects the variant. */
    static final String PROPERTY = "streamable.faults";

    static Settings current() {
        String chosen = System.getProperty(PROPERTY, "default").trim();
        return switch (chosen) {
            case "", "default" -> new Settings("default", 10, 10, 1, 3, 2, 2, 3, 1, 60, Duration.ofSeconds(90));
            case "long" -> new Settings("long", 30, 30, 3, 6, 5, 5, 8, 3, 150, Duration.ofSeconds(180));
            default -> throw new IllegalArgumentException("-D" + PROPERTY + "=" + chosen
                    + " is not a variant: use -D" + PROPERTY + "=long, or leave it out for the default");
        };
    }
}
