package io.streamable.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** Named consumers with their saved positions and lag, one JSON line each. */
@Command(name = "consumers", mixinStandardHelpOptions = true,
        description = {"Named consumers: one JSON line each with topic, consumer, saved position and lag.",
            "Without TOPIC, the consumers of every topic."})
final class ConsumersCommand implements Callable<Integer> {

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "TOPIC", arity = "0..*")
    List<String> topics = List.of();

    @Override
    public Integer call() {
        Streamable streamable = cli.streamable(spec);
        Set<String> existing = streamable.topics();
        Set<String> wanted = topics.isEmpty() ? new TreeSet<>(existing) : new java.util.LinkedHashSet<>(topics);
        for (String name : wanted) {
            if (!existing.contains(name)) {
                throw new IllegalArgumentException("There is no topic \"" + name + "\" in "
                        + streamable.backend().describe() + "; topics: " + new TreeSet<>(existing));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        for (String topic : wanted) {
            TopicStore store = streamable.backend().topic(topic);
            for (String consumer : new TreeSet<>(store.consumerNames())) {
                Optional<Position> saved = store.savedPosition(consumer);
                ObjectNode node = Json.MAPPER.createObjectNode();
                node.put("topic", topic);
                node.put("consumer", consumer);
                if (saved.isPresent()) {
                    node.put("position", saved.get().encode());
                } else {
                    node.putNull("position");
                }
                node.put("lag", store.lag(saved));
                out.println(Json.write(node));
            }
        }
        out.flush();
        return 0;
    }
}
