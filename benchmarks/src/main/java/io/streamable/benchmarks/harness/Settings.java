package io.streamable.benchmarks.harness;

import java.time.Duration;
import java.util.Optional;

/**
 * The command-line options every scenario reads. A scenario picks its own default message count
 * when {@link #messages()} is empty.
 *
 * @param messages       messages per round, overriding the scenario's default
 * @param payloadBytes   approximate size of one encoded JSON payload
 * @param batchSize      messages per batch append and per read
 * @param rounds         measured rounds per side, overriding the scenario's default
 * @param warmupRounds   unmeasured rounds per side before them
 * @param latencyRate    messages per second sent by latency scenarios
 * @param latencyTime    how long latency scenarios send for, per round
 * @param servers        external servers to use instead of embedded ones
 */
public record Settings(Optional<Integer> messages, int payloadBytes, int batchSize, Optional<Integer> rounds,
                       int warmupRounds,
                       int latencyRate, Duration latencyTime, Servers servers) {

    /** The message count for a scenario whose default is {@code scenarioDefault}. */
    public int messagesOr(int scenarioDefault) {
        return messages.orElse(scenarioDefault);
    }

    /**
     * Servers named on the command line or by the same environment variables the tests read;
     * empty means the scenario starts an embedded one.
     *
     * @param mongoUri       a MongoDB connection string
     * @param redisUri       a Redis URI
     * @param kafkaBootstrap a Kafka bootstrap server list
     */
    public record Servers(Optional<String> mongoUri, Optional<String> redisUri, Optional<String> kafkaBootstrap) {
    }
}
