package io.streamable.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;
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

/** Lists topics, one name per line; {@code topics describe} prints one JSON line per topic. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List topic names, one per line. See 'topics describe' and 'topics delete'.",
        subcommands = {TopicsCommand.Describe.class, TopicsCommand.Delete.class})
final class TopicsCommand implements Callable<Integer> {

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        new TreeSet<>(cli.streamable(spec).topics()).forEach(out::println);
        out.flush();
        return 0;
    }

    /** Message count, head position and consumer names of topics. */
    @Command(name = "describe", mixinStandardHelpOptions = true,
            description = {"One JSON line per topic: messages stored (after compaction), head position, named consumers,",
                "compatibility mode and schema versions.",
                "Without TOPIC, every topic."})
    static final class Describe implements Callable<Integer> {
        @ParentCommand
        TopicsCommand topics;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "TOPIC", arity = "0..*")
        List<String> names = List.of();

        @Override
        public Integer call() {
            StreamableCli cli = topics.cli;
            Streamable streamable = cli.streamable(spec);
            Set<String> existing = streamable.topics();
            Set<String> wanted = names.isEmpty() ? new TreeSet<>(existing) : new java.util.LinkedHashSet<>(names);
            for (String name : wanted) {
                if (!existing.contains(name)) {
                    throw new IllegalArgumentException("There is no topic \"" + name + "\" in "
                            + streamable.backend().describe() + "; topics: " + new TreeSet<>(existing));
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            for (String name : wanted) {
                TopicStore store = streamable.backend().topic(name);
                ObjectNode node = Json.MAPPER.createObjectNode();
                node.put("topic", name);
                node.put("messages", store.lag(Optional.empty()));
                Optional<Position> head = head(store);
                if (head.isPresent()) {
                    node.put("head", head.get().encode());
                } else {
                    node.putNull("head");
                }
                ArrayNode consumers = node.putArray("consumers");
                new TreeSet<>(store.consumerNames()).forEach(consumers::add);
                describeSchemas(streamable, name, node);
                out.println(Json.write(node));
            }
            out.flush();
            return 0;
        }

        /** The topic's compatibility mode and schema versions, where the schema registry is on. */
        private static void describeSchemas(Streamable streamable, String topic, ObjectNode node) {
            SchemaRegistry schemas;
            try {
                schemas = streamable.schemas();
            } catch (IllegalStateException off) {
                return; // schema support switched off, or a non-JSON codec: nothing to report
            }
            node.put("compatibility", schemas.compatibility(topic).name());
            ArrayNode versions = node.putArray("schemaVersions");
            for (SchemaVersion version : schemas.versions(topic)) {
                versions.addObject().put("version", version.version()).put("variant", version.variant())
                        .put("type", version.typeName());
            }
        }

        /** The position of the newest message: where a reader started at latest begins. */
        private static Optional<Position> head(TopicStore store) {
            return store.head();
        }
    }

    /** Deletes topics with their messages, saved positions and schema versions. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Delete topics: their messages, their consumers' saved positions and their schema versions.",
                "No named consumer may be running on them. A topic that does not exist is reported and skipped."})
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        TopicsCommand topics;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "TOPIC", arity = "1..*")
        List<String> names = List.of();

        @Override
        public Integer call() {
            Streamable streamable = topics.cli.streamable(spec);
            Set<String> existing = streamable.topics();
            PrintWriter err = spec.commandLine().getErr();
            for (String name : names) {
                boolean existed = existing.contains(name);
                streamable.deleteTopic(name);
                err.println(Messages.prefix(spec) + (existed ? "deleted topic \"" + name + "\""
                        : "there is no topic \"" + name + "\"; nothing deleted"));
            }
            err.flush();
            return 0;
        }
    }
}
