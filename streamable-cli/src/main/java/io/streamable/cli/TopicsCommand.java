package io.streamable.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.Retention;
import io.streamable.TopicDescription;
import io.streamable.backend.ReaderSpec;
import io.streamable.backend.TopicReader;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import io.streamable.consume.StartFrom;
import io.streamable.schema.SchemaRegistry;
import io.streamable.schema.SchemaVersion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/** Lists topics, one name per line; {@code topics describe} prints one JSON line per topic. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List topic names, one per line. See 'topics describe' and 'topics delete'.",
        subcommands = {TopicsCommand.Describe.class, TopicsCommand.Configure.class, TopicsCommand.Delete.class})
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
            description = {"One JSON line per topic: messages stored (after compaction and retention), head position,",
                "retention, oldest and newest stored position and creation time, named consumers, compatibility mode",
                "and schema versions.",
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
                out.println(Json.write(describe(streamable, name)));
            }
            out.flush();
            return 0;
        }

        /** One topic's JSON line. */
        static ObjectNode describe(Streamable streamable, String name) {
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
            describeRetention(streamable, name, node);
            ArrayNode consumers = node.putArray("consumers");
            new TreeSet<>(store.consumerNames()).forEach(consumers::add);
            describeSchemas(streamable, name, node);
            return node;
        }

        /** The topic's retention ({} keeps everything) and its oldest and newest stored positions and times. */
        private static void describeRetention(Streamable streamable, String topic, ObjectNode node) {
            TopicDescription description;
            try {
                description = streamable.describeTopic(topic);
            } catch (UnsupportedOperationException old) {
                return; // a backend module that predates retention
            }
            ObjectNode retention = node.putObject("retention");
            description.retention().maxAge().ifPresent(age -> retention.put("maxAge", age.toString()));
            description.retention().maxMessages().ifPresent(count -> retention.put("maxMessages", count));
            description.retention().maxBytes().ifPresent(bytes -> retention.put("maxBytes", bytes));
            putOrNull(node, "oldest", description.oldest().map(Position::encode));
            putOrNull(node, "oldestCreatedAt", description.oldestCreatedAt().map(Object::toString));
            putOrNull(node, "newest", description.newest().map(Position::encode));
            putOrNull(node, "newestCreatedAt", description.newestCreatedAt().map(Object::toString));
        }

        private static void putOrNull(ObjectNode node, String field, Optional<String> value) {
            if (value.isPresent()) {
                node.put(field, value.get());
            } else {
                node.putNull(field);
            }
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

    /** Sets a topic's retention, creating the topic if needed, like {@code kafka-configs --alter}. */
    @Command(name = "configure", mixinStandardHelpOptions = true,
            description = {"Set a topic's retention (creating the topic if it does not exist) and print its description.",
                "Messages older than --max-age, and beyond the newest --max-messages or about --max-bytes, are removed",
                "(oldest first, never the newest). Without a limit, the topic keeps every message from now on.",
                "Kafka: --max-age is retention.ms, --max-bytes retention.bytes per partition; no --max-messages."})
    static final class Configure implements Callable<Integer> {
        @ParentCommand
        TopicsCommand topics;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TOPIC")
        String topic;

        @Option(names = "--max-age", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Remove messages older than this: 30s, 12h, 7d, PT1H")
        Duration maxAge;

        @Option(names = "--max-messages", paramLabel = "N", description = "Keep only about the newest N messages")
        Long maxMessages;

        @Option(names = "--max-bytes", paramLabel = "N", description = "Keep only about the newest N bytes of payload")
        Long maxBytes;

        @Override
        public Integer call() {
            Streamable streamable = topics.cli.streamable(spec);
            Retention retention = Retention.forever();
            try {
                if (maxAge != null) {
                    retention = retention.withMaxAge(maxAge);
                }
                if (maxMessages != null) {
                    retention = retention.withMaxMessages(maxMessages);
                }
                if (maxBytes != null) {
                    retention = retention.withMaxBytes(maxBytes);
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
            streamable.configureTopic(topic, retention);
            PrintWriter out = spec.commandLine().getOut();
            out.println(Json.write(Describe.describe(streamable, topic)));
            out.flush();
            return 0;
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
