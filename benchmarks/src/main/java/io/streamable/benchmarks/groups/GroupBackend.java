package io.streamable.benchmarks.groups;

import io.streamable.Slots;
import io.streamable.benchmarks.harness.Settings;
import io.streamable.benchmarks.servers.KafkaBroker;
import io.streamable.benchmarks.servers.MongoRedisServers;
import io.streamable.client.Streamable;

/**
 * Where a group scenario's members run: a backend URL that every member opens as its own
 * connection (as separate processes would, but in this JVM), the group's slot count there, and
 * the servers behind it.
 */
abstract class GroupBackend implements AutoCloseable {
    /** Partitions of the Kafka topics, as the Kafka scenarios use. */
    static final int KAFKA_PARTITIONS = 4;

    /** {@return memory, mongoredis or kafka: the scenario name's middle part} */
    abstract String name();

    /** {@return the URL scheme of the backend} */
    abstract String scheme();

    /** Starts the servers; not measured. */
    abstract void start(Settings settings) throws Exception;

    /** {@return the URL each member, and the producer, opens} */
    abstract String url();

    /** {@return the slot count of a group on this backend: 16, or the partition count on Kafka} */
    abstract int slotCount();

    /** Deletes a round's topic so the servers do not grow round after round. */
    void deleteTopic(String topic) {
        try (Streamable streamable = Streamable.open(url())) {
            streamable.deleteTopic(topic);
        } catch (RuntimeException e) {
            System.out.println("note: could not delete topic " + topic + ": " + e);
        }
    }

    @Override
    public void close() {
    }

    /** {@return the in-memory backend, one storage shared by every connection of this JVM that names it} */
    static GroupBackend memory() {
        return new GroupBackend() {
            @Override
            String name() {
                return "memory";
            }

            @Override
            String scheme() {
                return "memory";
            }

            @Override
            void start(Settings settings) {
            }

            @Override
            String url() {
                return "memory:group-bench"; // a named storage: separate connections share it
            }

            @Override
            int slotCount() {
                return Slots.DEFAULT_COUNT;
            }
        };
    }

    /** {@return MongoDB and Redis, embedded unless the settings name them} */
    static GroupBackend mongoRedis() {
        return new GroupBackend() {
            private MongoRedisServers servers;

            @Override
            String name() {
                return "mongoredis";
            }

            @Override
            String scheme() {
                return "mongoredis";
            }

            @Override
            void start(Settings settings) throws Exception {
                servers = MongoRedisServers.start(settings.servers(), true);
            }

            @Override
            String url() {
                return servers.backendUrl("bench-groups", true);
            }

            @Override
            int slotCount() {
                return Slots.DEFAULT_COUNT;
            }

            @Override
            public void close() {
                if (servers != null) {
                    servers.close();
                }
            }
        };
    }

    /** {@return the run's Kafka broker, topics of {@value #KAFKA_PARTITIONS} partitions} */
    static GroupBackend kafka() {
        return new GroupBackend() {
            private String bootstrap;

            @Override
            String name() {
                return "kafka";
            }

            @Override
            String scheme() {
                return "kafka";
            }

            @Override
            void start(Settings settings) {
                bootstrap = KafkaBroker.bootstrap(settings.servers());
            }

            @Override
            String url() {
                return "kafka://" + bootstrap + "?partitions=" + KAFKA_PARTITIONS;
            }

            @Override
            int slotCount() {
                return KAFKA_PARTITIONS;
            }
        };
    }
}
