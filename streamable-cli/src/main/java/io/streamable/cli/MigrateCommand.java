package io.streamable.cli;

import io.streamable.backend.mongoredis.PrototypeMigration;
import io.streamable.backend.mongoredis.PrototypeMigration.Report;
import io.streamable.backend.mongoredis.PrototypeMigration.TopicReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * Moving a database the TypeScript prototype (2.x) wrote onto this framework: {@code migrate
 * inspect} reports what readers will find, {@code migrate fill-gaps TOPIC} fills missing ids with
 * stubs. The switch-over procedure is in backend-mongoredis's README.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Move a MongoDB database written by the TypeScript prototype onto this framework",
            "(mongoredis: URLs only). See 'migrate inspect' and 'migrate fill-gaps'."},
        subcommands = {MigrateCommand.Inspect.class, MigrateCommand.FillGaps.class})
final class MigrateCommand implements Callable<Integer> {

    @ParentCommand
    StreamableCli cli;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new UsageException("Name a migrate command: inspect, or fill-gaps TOPIC", null);
    }

    /** Reports topics, counts, id ranges and types, missing ids, undecodable documents, counters. */
    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = {"Report each topic collection: documents, id range and BSON id types, missing ids (readers",
                "stop there until 'migrate fill-gaps'), the prototype's shape vs this framework's, documents that",
                "will not decode, the prototype's nextids counter, indexes. Reads only.",
                "Exit code 0 when every topic can be read from the beginning as it is, 1 otherwise."})
    static final class Inspect implements Callable<Integer> {
        @ParentCommand
        MigrateCommand migrate;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Report report = PrototypeMigration.inspect(migrate.cli.streamable(spec).backend());
            PrintWriter out = spec.commandLine().getOut();
            out.println("database " + report.database() + ": " + report.topics().size() + " topic(s)"
                    + (report.counters().isEmpty() ? ", no nextids counters" : ", nextids counters " + report.counters()));
            boolean clean = true;
            for (TopicReport topic : report.topics()) {
                clean &= print(topic, out);
            }
            out.flush();
            return clean ? 0 : 1;
        }

        private static boolean print(TopicReport topic, PrintWriter out) {
            out.println("topic " + topic.topic() + ": " + topic.documents() + " document(s), ids "
                    + (topic.lastId() == 0 ? "none" : topic.firstId() + ".." + topic.lastId() + " " + topic.idTypes())
                    + ", prototype-shaped " + topic.prototypeShape() + ", BinData payloads " + topic.binaryPayloads()
                    + ", stubs " + topic.stubs() + ", undecodable " + topic.undecodable()
                    + (topic.nonNumericIds() > 0 ? ", non-numeric ids (ignored) " + topic.nonNumericIds() : ""));
            boolean clean = true;
            if (topic.firstId() > 1 || topic.missingIds() > 0) {
                clean = false;
                out.println("  missing ids: " + topic.missingIds() + " " + topic.missingRanges()
                        + "; readers stop at the first one (\"storage lost data\"): run 'streamable migrate fill-gaps "
                        + topic.topic() + "' while nothing writes to it");
            }
            for (String defect : topic.defects()) {
                out.println("  will not decode: " + defect);
            }
            if (topic.undecodable() > topic.defects().size()) {
                out.println("  ... and " + (topic.undecodable() - topic.defects().size()) + " more that will not decode");
            }
            if (topic.undecodable() > 0) {
                clean = false;
                out.println("  consumers get these as poison messages: give them FailurePolicy...thenSkip() or"
                        + " thenDeadLetter(...)");
            }
            topic.counter().ifPresent(counter -> out.println("  nextids counter " + counter
                    + (topic.counterBehind() ? ", below the highest id " + topic.lastId() + ": a prototype producer would"
                    + " collide; open Java producers with prototypeSignals=true, which advances it" : "")));
            out.println("  indexes: " + topic.indexes());
            return clean;
        }
    }

    /** Inserts compacted stubs at a topic's missing ids, so readers go past them. */
    @Command(name = "fill-gaps", mixinStandardHelpOptions = true,
            description = {"Insert a compacted stub {_id, shardingKey: \"\", createdAt, compacted: true} at every missing",
                "id of TOPIC (between 1 and its highest id), so readers skip it instead of stopping there.",
                "Inserts only; run it while nothing writes to the topic."})
    static final class FillGaps implements Callable<Integer> {
        @ParentCommand
        MigrateCommand migrate;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "TOPIC")
        String topic;

        @Override
        public Integer call() {
            long filled = PrototypeMigration.fillGaps(migrate.cli.streamable(spec).backend(),
                    StreamableCli.topicName(topic));
            PrintWriter out = spec.commandLine().getOut();
            out.println("topic " + topic + ": filled " + filled + " missing id(s) with stubs");
            out.flush();
            return 0;
        }
    }
}
