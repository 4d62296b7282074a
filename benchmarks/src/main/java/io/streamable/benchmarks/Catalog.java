package io.streamable.benchmarks;

import io.streamable.backend.BackendProvider;
import io.streamable.benchmarks.groups.GroupJoin;
import io.streamable.benchmarks.groups.GroupScaling;
import io.streamable.benchmarks.harness.Scenario;
import io.streamable.benchmarks.inmemory.InMemoryConsume;
import io.streamable.benchmarks.inmemory.InMemoryEndToEnd;
import io.streamable.benchmarks.inmemory.InMemoryProduce;
import io.streamable.benchmarks.inmemory.SlowKey;
import io.streamable.benchmarks.kafka.KafkaConsume;
import io.streamable.benchmarks.kafka.KafkaLatency;
import io.streamable.benchmarks.kafka.KafkaProduce;
import io.streamable.benchmarks.mongoredis.MongoRedisConsume;
import io.streamable.benchmarks.mongoredis.MongoRedisLatency;
import io.streamable.benchmarks.mongoredis.MongoRedisPayloadFormat;
import io.streamable.benchmarks.mongoredis.MongoRedisProduce;
import io.streamable.benchmarks.state.StateUpdate;

import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Every scenario, in the order a run executes them; a run without {@code --scenario} leaves out
 * those whose {@code inDefaultRun()} is false. Add a backend's scenarios here as it lands.
 */
final class Catalog {
    private Catalog() {
    }

    static List<Supplier<Scenario>> all() {
        return List.of(
                InMemoryEndToEnd::new,
                InMemoryProduce::new,
                InMemoryConsume::anonymous,
                InMemoryConsume::catchUp,
                SlowKey::new,
                MongoRedisProduce::batched,
                MongoRedisProduce::single,
                MongoRedisConsume::new,
                MongoRedisLatency::new,
                MongoRedisLatency::redisDown,
                MongoRedisPayloadFormat::produceBson,
                MongoRedisPayloadFormat::produceBinary,
                MongoRedisPayloadFormat::produceBsonVsBinary,
                MongoRedisPayloadFormat::consumeBson,
                MongoRedisPayloadFormat::consumeBinary,
                MongoRedisPayloadFormat::consumeBsonVsBinary,
                KafkaProduce::new,
                KafkaConsume::new,
                KafkaConsume::catchUp,
                KafkaLatency::new,
                StateUpdate::applyOnce,
                StateUpdate::plain,
                // only with --scenario: minutes on three backends (GroupScenario.inDefaultRun)
                () -> GroupScaling.memory(2),
                () -> GroupScaling.memory(4),
                GroupJoin::memory,
                () -> GroupScaling.mongoRedis(2),
                () -> GroupScaling.mongoRedis(4),
                GroupJoin::mongoRedis,
                () -> GroupScaling.kafka(2),
                () -> GroupScaling.kafka(4),
                GroupJoin::kafka);
    }

    /** The URL schemes of the backends on the class path. */
    static Set<String> availableSchemes() {
        Set<String> schemes = new TreeSet<>();
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            schemes.add(provider.scheme());
        }
        return schemes;
    }
}
