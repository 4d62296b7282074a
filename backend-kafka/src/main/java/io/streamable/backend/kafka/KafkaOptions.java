package io.streamable.backend.kafka;

import io.streamable.backend.BackendUrl;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * The options of a {@code kafka://} URL, checked once when the backend opens.
 *
 * <ul>
 *   <li>{@code partitions}: partitions of topics this backend creates (default: the broker's
 *       {@code num.partitions}); when given, existing topics must have exactly this many.</li>
 *   <li>{@code replication}: replication factor of created topics (default: the broker's
 *       {@code default.replication.factor}); when given, existing topics must match.</li>
 *   <li>{@code topic.<config>}: a topic config for topics this backend creates, for example
 *       {@code topic.retention.ms=604800000}; {@code cleanup.policy} defaults to {@code compact}.</li>
 *   <li>{@code kafka.<config>}: a client config passed to the producer, consumers and admin client
 *       that know it, for example {@code kafka.security.protocol=SASL_SSL}. Values are never logged.</li>
 *   <li>{@code kafka.producer.<config>}, {@code kafka.consumer.<config>}, {@code kafka.admin.<config>}:
 *       passed to that client only, unchecked (for plug-in configs).</li>
 *   <li>{@code timeout}: how long admin operations and commits wait for the cluster (default 30s);
 *       ISO-8601 ({@code PT10S}) or milliseconds.</li>
 *   <li>{@code maxPendingRecords}, {@code maxPendingBytes}: how many records, and how many bytes of
 *       them (payload, sharding key, logCompactId and headers), the connection's appends may hold
 *       while they wait for the producer, which takes nothing more once its {@code buffer.memory} is
 *       full, as during an outage (defaults {@value #DEFAULT_MAX_PENDING_RECORDS} and
 *       {@value #DEFAULT_MAX_PENDING_BYTES}). An append that would pass either fails at once with a
 *       {@link io.streamable.backend.BackendUnavailableException}; appends already waiting are not
 *       affected.</li>
 * </ul>
 */
record KafkaOptions(String bootstrapServers, OptionalInt partitions, Optional<Short> replication,
                    Map<String, String> topicConfigs, Map<String, Object> producerConfigs,
                    Map<String, Object> consumerConfigs, Map<String, Object> adminConfigs, Duration timeout,
                    int maxPendingRecords, long maxPendingBytes) {

    static final String PARTITIONS = "partitions";
    static final String REPLICATION = "replication";
    static final String TIMEOUT = "timeout";
    static final String MAX_PENDING_RECORDS = "maxPendingRecords";
    static final String MAX_PENDING_BYTES = "maxPendingBytes";
    /** Records waiting for the producer, at most, by default: about the producer's default buffer in small records. */
    static final int DEFAULT_MAX_PENDING_RECORDS = 200_000;
    /** Bytes of records waiting for the producer, at most, by default: twice the producer's default buffer.memory. */
    static final long DEFAULT_MAX_PENDING_BYTES = 64L * 1024 * 1024;
    static final String TOPIC_PREFIX = "topic.";
    static final String CLIENT_PREFIX = "kafka.";
    private static final Set<String> KNOWN = Set.of(PARTITIONS, REPLICATION, TIMEOUT, MAX_PENDING_RECORDS,
            MAX_PENDING_BYTES);

    static KafkaOptions from(BackendUrl url) {
        String bootstrap = bootstrap(url);
        OptionalInt partitions = OptionalInt.empty();
        Optional<Short> replication = Optional.empty();
        Duration timeout = Duration.ofSeconds(30);
        int maxPendingRecords = DEFAULT_MAX_PENDING_RECORDS;
        long maxPendingBytes = DEFAULT_MAX_PENDING_BYTES;
        Map<String, String> topicConfigs = new LinkedHashMap<>();
        Map<String, Object> shared = new HashMap<>();
        Map<String, Object> producer = new HashMap<>();
        Map<String, Object> consumer = new HashMap<>();
        Map<String, Object> admin = new HashMap<>();
        for (Map.Entry<String, String> option : url.options().entrySet()) {
            String name = option.getKey();
            String value = option.getValue();
            if (name.equals(PARTITIONS)) {
                partitions = OptionalInt.of(positive(url, name, value, Integer.MAX_VALUE));
            } else if (name.equals(REPLICATION)) {
                replication = Optional.of((short) positive(url, name, value, Short.MAX_VALUE));
            } else if (name.equals(TIMEOUT)) {
                timeout = duration(url, name, value);
            } else if (name.equals(MAX_PENDING_RECORDS)) {
                maxPendingRecords = positive(url, name, value, Integer.MAX_VALUE);
            } else if (name.equals(MAX_PENDING_BYTES)) {
                maxPendingBytes = positiveLong(url, name, value);
            } else if (name.startsWith(TOPIC_PREFIX) && name.length() > TOPIC_PREFIX.length()) {
                topicConfigs.put(name.substring(TOPIC_PREFIX.length()), value);
            } else if (name.startsWith(CLIENT_PREFIX + "producer.")) {
                producer.put(name.substring((CLIENT_PREFIX + "producer.").length()), value);
            } else if (name.startsWith(CLIENT_PREFIX + "consumer.")) {
                consumer.put(name.substring((CLIENT_PREFIX + "consumer.").length()), value);
            } else if (name.startsWith(CLIENT_PREFIX + "admin.")) {
                admin.put(name.substring((CLIENT_PREFIX + "admin.").length()), value);
            } else if (name.startsWith(CLIENT_PREFIX) && name.length() > CLIENT_PREFIX.length()) {
                shared.put(name.substring(CLIENT_PREFIX.length()), value);
            } else {
                Set<String> known = new TreeSet<>(KNOWN);
                known.add(TOPIC_PREFIX + "<topic config>");
                known.add(CLIENT_PREFIX + "<client config>");
                throw new IllegalArgumentException("Unknown option \"" + name + "\" in Kafka backend URL " + url.masked()
                        + ". Known options: " + known + ", for example kafka://localhost:9092?partitions=12&replication=3"
                        + "&kafka.security.protocol=SSL");
            }
        }
        String policy = topicConfigs.getOrDefault("cleanup.policy", "compact");
        if (!policy.contains("compact")) {
            throw new IllegalArgumentException("Option topic.cleanup.policy=" + policy + " in Kafka backend URL "
                    + url.masked() + " turns compaction off, but messages with a logCompactId rely on it."
                    + " Use topic.cleanup.policy=compact (the default) or compact,delete with a retention.");
        }
        topicConfigs.putIfAbsent("cleanup.policy", "compact");
        Map<String, Object> producerConfigs = forClient(shared, ProducerConfig.configNames(), producer);
        Map<String, Object> consumerConfigs = forClient(shared, ConsumerConfig.configNames(), consumer);
        Map<String, Object> adminConfigs = forClient(shared, AdminClientConfig.configNames(), admin);
        Set<String> unknown = new TreeSet<>(shared.keySet());
        unknown.removeAll(ProducerConfig.configNames());
        unknown.removeAll(ConsumerConfig.configNames());
        unknown.removeAll(AdminClientConfig.configNames());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Option(s) " + unknown.stream().map(n -> CLIENT_PREFIX + n).toList()
                    + " in Kafka backend URL " + url.masked() + " are not Kafka client configs. Check the spelling"
                    + " against the producer, consumer and admin configs of kafka-clients, or pass a plug-in's config"
                    + " to one client with kafka.producer.*, kafka.consumer.* or kafka.admin.*");
        }
        refuseUndurable(url, producerConfigs);
        return new KafkaOptions(bootstrap, partitions, replication, Map.copyOf(topicConfigs), producerConfigs,
                consumerConfigs, adminConfigs, timeout, maxPendingRecords, maxPendingBytes);
    }

    /**
     * Producer settings under which an append cannot promise what it returns: a durable position,
     * or an append that never blocks its caller.
     */
    private static void refuseUndurable(BackendUrl url, Map<String, Object> producer) {
        Object acks = producer.get(ProducerConfig.ACKS_CONFIG);
        if (acks != null && !acks.toString().trim().equalsIgnoreCase("all") && !acks.toString().trim().equals("-1")) {
            throw new IllegalArgumentException("Option kafka.acks=" + acks + " in Kafka backend URL " + url.masked()
                    + " is refused: only acks=all gives a durable position (with acks=0 the broker acknowledges"
                    + " nothing and returns no offset, with acks=1 an acknowledged message is lost when the partition"
                    + " leader fails). An append completes with the positions of durable messages, so leave kafka.acks"
                    + " out (the backend uses all).");
        }
        if (producer.containsKey(ProducerConfig.MAX_BLOCK_MS_CONFIG)) {
            throw new IllegalArgumentException("Option kafka.max.block.ms in Kafka backend URL " + url.masked()
                    + " is set by the backend: append() never blocks its caller (max.block.ms=0, appends the"
                    + " producer cannot take at once wait off the caller's thread). Bound how long an append may"
                    + " take with kafka.delivery.timeout.ms instead, and leave kafka.max.block.ms out.");
        }
    }

    private static String bootstrap(BackendUrl url) {
        String servers = url.schemeSpecificPart();
        if (servers.startsWith("//")) {
            servers = servers.substring(2);
        }
        while (servers.endsWith("/")) {
            servers = servers.substring(0, servers.length() - 1);
        }
        if (servers.isBlank() || servers.contains("/") || servers.contains("@")) {
            throw new IllegalArgumentException("Kafka backend URL " + url.masked() + " must name the bootstrap servers"
                    + " as host:port pairs, for example kafka://broker1:9092,broker2:9092?partitions=12; credentials"
                    + " go in options such as kafka.sasl.jaas.config");
        }
        for (String server : servers.split(",")) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0 || colon == server.length() - 1) {
                throw new IllegalArgumentException("Bootstrap server \"" + BackendUrl.mask("//" + server).substring(2)
                        + "\" in Kafka backend URL " + url.masked() + " needs a port, for example localhost:9092");
            }
            try {
                Integer.parseInt(server.substring(colon + 1));
            } catch (NumberFormatException notANumber) {
                // no cause: its message repeats the "port", which may be a password (kafka://user:password)
                throw new IllegalArgumentException("Bootstrap server \"" + BackendUrl.mask("//" + server).substring(2)
                        + "\" in Kafka backend URL " + url.masked() + " has no numeric port, for example localhost:9092");
            }
        }
        return servers;
    }

    private static Map<String, Object> forClient(Map<String, Object> shared, Set<String> known,
                                                 Map<String, Object> specific) {
        Map<String, Object> configs = new HashMap<>();
        shared.forEach((name, value) -> {
            if (known.contains(name)) {
                configs.put(name, value);
            }
        });
        configs.putAll(specific);
        return Map.copyOf(configs);
    }

    private static int positive(BackendUrl url, String name, String value, int max) {
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= 1 && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("Option " + name + "=" + value + " in Kafka backend URL " + url.masked()
                + " must be a whole number from 1 to " + max + ", for example " + name + "=3");
    }

    private static long positiveLong(BackendUrl url, String name, String value) {
        try {
            long parsed = Long.parseLong(value.trim());
            if (parsed >= 1) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("Option " + name + "=" + value + " in Kafka backend URL " + url.masked()
                + " must be a whole number of at least 1, for example " + name + "=67108864");
    }

    private static Duration duration(BackendUrl url, String name, String value) {
        try {
            Duration parsed = value.trim().startsWith("P") || value.trim().startsWith("p")
                    ? Duration.parse(value.trim()) : Duration.ofMillis(Long.parseLong(value.trim()));
            if (!parsed.isNegative() && !parsed.isZero()) {
                return parsed;
            }
        } catch (RuntimeException e) {
            // reported below
        }
        throw new IllegalArgumentException("Option " + name + "=" + value + " in Kafka backend URL " + url.masked()
                + " must be a positive duration, in milliseconds (30000) or ISO-8601 (PT30S)");
    }

    /** Names only: client config values may be secrets. */
    @Override
    public String toString() {
        return "KafkaOptions[bootstrap=" + bootstrapServers + ", partitions=" + partitions + ", replication="
                + replication + ", maxPendingRecords=" + maxPendingRecords + ", maxPendingBytes=" + maxPendingBytes
                + ", topicConfigs=" + topicConfigs.keySet() + ", producer=" + producerConfigs.keySet()
                + ", consumer=" + consumerConfigs.keySet() + ", admin=" + adminConfigs.keySet() + "]";
    }
}
