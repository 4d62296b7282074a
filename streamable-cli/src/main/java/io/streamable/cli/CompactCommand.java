package io.streamable.cli;

import io.streamable.client.Streamable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * Compaction on demand. No backend offers it today, because each compacts by itself: the
 * in-memory and MongoRedis backends remove the older messages as soon as a newer message with the
 * same logCompactId is stored, Kafka in its broker's log cleaner. The command says so and exits
 * with {@value StreamableCli#UNSUPPORTED}, rather than pretending to have compacted.
 */
@Command(name = "compact", mixinStandardHelpOptions = true,
        description = "Compact a topic now, where the backend supports it; otherwise explain how it compacts.")
final class CompactCommand implements Callable<Integer> {

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "TOPIC")
    String topic;

    @Override
    public Integer call() {
        Streamable streamable = cli.streamable(spec);
        String url = streamable.backend().describe();
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')) : url;
        String how = switch (scheme) {
            case "memory", "mongoredis" -> "it removes the older messages as soon as a newer message with the same"
                    + " logCompactId is stored, so topic \"" + topic + "\" is already compacted";
            case "kafka" -> "Kafka compacts in the broker's log cleaner (cleanup.policy=compact), some time after"
                    + " a segment rolls; tune segment.ms and min.compaction.lag.ms on the topic to make it sooner";
            default -> "this backend does not offer compaction on demand";
        };
        spec.commandLine().getErr().println(Messages.prefix(spec) + url + " cannot compact on demand: " + how + ".");
        spec.commandLine().getErr().flush();
        return StreamableCli.UNSUPPORTED;
    }
}
