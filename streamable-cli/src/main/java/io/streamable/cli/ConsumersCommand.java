package io.streamable.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.streamable.Position;
import io.streamable.backend.ConsumerGroups;
import io.streamable.backend.GroupDescription;
import io.streamable.backend.TopicStore;
import io.streamable.client.Streamable;
import picocli.CommandLine.Command;
import io.streamable.consume.StartFrom;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Named consumers with their saved positions and lag, one JSON line each; on a backend with
 * consumer groups also the group's live members with their slots, and every slot's position,
 * owner and lag.
 */
@Command(name = "consumers", mixinStandardHelpOptions = true,
        description = {"Named consumers: one JSON line each with topic, consumer, saved position and lag.",
            "On a backend with consumer groups also slotCount, the live members with their slots, and each slot's",
            "position, owner and lag. Without TOPIC, the consumers of every topic. See 'consumers reset' and",
            "'consumers delete'."},
        subcommands = {ConsumersCommand.Reset.class, ConsumersCommand.Delete.class})
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
                Optional<GroupDescription> group = store instanceof ConsumerGroups groups
                        ? groups.describeGroup(consumer) : Optional.empty();
                if (group.isPresent()) {
                    describe(node, group.get());
                } else {
                    node.put("lag", store.lag(saved));
                }
                out.println(Json.write(node));
            }
        }
        out.flush();
        return 0;
    }

    /** Adds a group's lag (over its slots), members and slots to its line. */
    private static void describe(ObjectNode node, GroupDescription group) {
        node.put("lag", group.slots().stream().mapToLong(GroupDescription.SlotState::lag).sum());
        node.put("slotCount", group.slotCount());
        ArrayNode members = node.putArray("members");
        for (GroupDescription.Member member : group.members()) {
            ObjectNode entry = members.addObject();
            entry.put("member", member.memberId());
            ArrayNode slots = entry.putArray("slots");
            member.slots().forEach(slots::add);
        }
        ArrayNode slots = node.putArray("slots");
        for (GroupDescription.SlotState slot : group.slots()) {
            ObjectNode entry = slots.addObject();
            entry.put("slot", slot.slot());
            if (slot.committed().isPresent()) {
                entry.put("position", slot.committed().get().encode());
            } else {
                entry.putNull("position");
            }
            if (slot.owner().isPresent()) {
                entry.put("owner", slot.owner().get());
            } else {
                entry.putNull("owner");
            }
            entry.put("lag", slot.lag());
        }
    }

    /** Fails unless {@code topic} exists: asking the backend for it would create it. */
    static void requireTopic(Streamable streamable, String topic) {
        Set<String> existing = streamable.topics();
        if (!existing.contains(topic)) {
            throw new IllegalArgumentException("There is no topic \"" + topic + "\" in "
                    + streamable.backend().describe() + "; topics: " + new TreeSet<>(existing));
        }
    }

    /** Moves a consumer's saved position, like kafka-consumer-groups --reset-offsets. */
    @Command(name = "reset", mixinStandardHelpOptions = true,
            description = {"Move a named consumer's saved position, also backwards; its next start resumes there.",
                "The consumer must be stopped. Prints the new saved position as a JSON line."})
    static final class Reset implements Callable<Integer> {
        @ParentCommand
        ConsumersCommand consumers;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TOPIC")
        String topic;

        @Parameters(index = "1", paramLabel = "NAME")
        String consumer;

        @Option(names = "--to", required = true, paramLabel = "beginning|latest|POSITION|INSTANT",
                description = "beginning (everything again), latest (after the newest message), a position"
                        + " such as 42 or 0:42,1:17 to resume after, or an ISO-8601 instant such as"
                        + " 2026-12-01T10:00:00Z (resume before the first message created at or after it)")
        String to;

        @Override
        public Integer call() {
            Streamable streamable = consumers.cli.streamable(spec);
            requireTopic(streamable, topic);
            StartFrom start = switch (to) {
                case "beginning" -> StartFrom.beginning();
                case "latest" -> StartFrom.latest();
                default -> to.contains("T") ? StartFrom.at(Instants.parse("--to", to)) : StartFrom.after(Position.parse(to));
            };
            streamable.resetConsumer(topic, consumer, start);
            Optional<Position> saved = streamable.backend().topic(topic).savedPosition(consumer);
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put("topic", topic);
            node.put("consumer", consumer);
            if (saved.isPresent()) {
                node.put("position", saved.get().encode());
            } else {
                node.putNull("position");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(Json.write(node));
            out.flush();
            return 0;
        }
    }

    /** Forgets a consumer's saved position. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Forget a named consumer's saved position: its next start uses its own start again.",
                "The consumer must be stopped. Forgetting a name that saved nothing does nothing."})
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        ConsumersCommand consumers;

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "TOPIC")
        String topic;

        @Parameters(index = "1", paramLabel = "NAME")
        String consumer;

        @Override
        public Integer call() {
            Streamable streamable = consumers.cli.streamable(spec);
            requireTopic(streamable, topic);
            streamable.deleteConsumer(topic, consumer);
            spec.commandLine().getErr().println(Messages.prefix(spec) + "deleted consumer \"" + consumer
                    + "\" of topic \"" + topic + "\"");
            spec.commandLine().getErr().flush();
            return 0;
        }
    }
}
