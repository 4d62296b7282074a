package io.streamable.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.Position;
import io.streamable.backend.StoredRecord;
import io.streamable.client.Compatibility.Difference;
import io.streamable.schema.CompatibilityMode;
import io.streamable.schema.Schema;
import io.streamable.schema.SchemaProblem;
import io.streamable.schema.SchemaVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One topic's schema state, rebuilt by replaying its {@code __schemas.<topic>} log in order. The
 * replay is the single source of truth: a registration is accepted only if it is compatible with
 * the versions accepted before it, under the mode in force at that point, so every process that
 * replays the same log reaches the same versions whatever order registrations raced in.
 */
final class SchemaLog {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaLog.class);
    static final int FORMAT = 1;
    static final String KIND_SCHEMA = "schema";
    static final String KIND_MODE = "compatibility";

    /**
     * One stored log record: a registration or a mode change.
     *
     * @param format   the log format, {@value #FORMAT}
     * @param kind     {@value #KIND_SCHEMA} or {@value #KIND_MODE}
     * @param variant  registration: the variant, empty for a plain type
     * @param typeName registration: the Java type, for reports
     * @param schema   registration: the structure
     * @param mode     mode change: the new mode
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Entry(int format, String kind, String variant, String typeName, Schema schema, CompatibilityMode mode) {
        static Entry registration(String variant, String typeName, Schema schema) {
            return new Entry(FORMAT, KIND_SCHEMA, variant, typeName, schema, null);
        }

        static Entry modeChange(CompatibilityMode mode) {
            return new Entry(FORMAT, KIND_MODE, null, null, null, mode);
        }
    }

    /** What became of one registration record: its version, or why it was rejected. */
    record Outcome(Optional<SchemaVersion> version, CompatibilityMode mode, List<SchemaProblem> problems) {
    }

    private final String topic;
    private CompatibilityMode mode = CompatibilityMode.BACKWARD;
    private final List<SchemaVersion> versions = new ArrayList<>();
    private final Map<Position, Outcome> outcomes = new HashMap<>();

    private SchemaLog(String topic) {
        this.topic = topic;
    }

    static SchemaLog replay(String topic, List<StoredRecord> records, ObjectMapper mapper) {
        SchemaLog log = new SchemaLog(topic);
        for (StoredRecord record : records) {
            Entry entry;
            try {
                entry = mapper.readValue(record.payload(), Entry.class);
            } catch (IOException e) {
                // every reader skips the same unreadable record, so the replay stays deterministic
                LOG.warn("Skipping an unreadable record at position {} of the schema log of topic \"{}\": {}",
                        record.position(), topic, e.getMessage());
                continue;
            }
            log.apply(record.position(), entry);
        }
        return log;
    }

    private void apply(Position position, Entry entry) {
        if (entry.format() > FORMAT) {
            LOG.warn("Skipping a schema log record of format {} at position {} of topic \"{}\": this version of"
                    + " the library understands format {}; upgrade it", entry.format(), position, topic, FORMAT);
            return;
        }
        if (KIND_MODE.equals(entry.kind()) && entry.mode() != null) {
            mode = entry.mode();
        } else if (KIND_SCHEMA.equals(entry.kind()) && entry.schema() != null && entry.variant() != null) {
            Optional<SchemaVersion> existing = find(entry.variant(), entry.schema());
            if (existing.isPresent()) {
                outcomes.put(position, new Outcome(existing, mode, List.of()));
                return;
            }
            List<SchemaProblem> problems = check(entry.variant(), entry.schema());
            if (!problems.isEmpty()) {
                outcomes.put(position, new Outcome(Optional.empty(), mode, problems));
                return;
            }
            SchemaVersion version = new SchemaVersion(versions.size() + 1, entry.variant(),
                    entry.typeName() == null ? "?" : entry.typeName(), entry.schema());
            versions.add(version);
            outcomes.put(position, new Outcome(Optional.of(version), mode, List.of()));
        }
    }

    String topic() {
        return topic;
    }

    CompatibilityMode mode() {
        return mode;
    }

    List<SchemaVersion> versions() {
        return List.copyOf(versions);
    }

    /** Whether any version is registered; without the copy {@link #versions()} makes, as it is asked per message. */
    boolean hasVersions() {
        return !versions.isEmpty();
    }

    Optional<SchemaVersion> version(int number) {
        return number >= 1 && number <= versions.size() ? Optional.of(versions.get(number - 1)) : Optional.empty();
    }

    Optional<Outcome> outcome(Position position) {
        return Optional.ofNullable(outcomes.get(position));
    }

    /** The version already holding exactly this schema, if any: registering it again is a no-op. */
    Optional<SchemaVersion> find(String variant, Schema schema) {
        return versions.stream().filter(v -> v.variant().equals(variant) && v.schema().equals(schema)).findFirst();
    }

    /** Why a new schema of a variant breaks the current mode; empty if it does not. */
    List<SchemaProblem> check(String variant, Schema schema) {
        if (mode == CompatibilityMode.NONE) {
            return List.of();
        }
        List<SchemaVersion> sameVariant = versions.stream().filter(v -> v.variant().equals(variant)).toList();
        if (sameVariant.isEmpty()) {
            return List.of();
        }
        List<SchemaVersion> against = mode.isTransitive() ? sameVariant : List.of(sameVariant.get(sameVariant.size() - 1));
        List<SchemaProblem> problems = new ArrayList<>();
        for (SchemaVersion old : against) {
            if (mode.checksBackward()) {
                for (Difference d : Compatibility.canRead(schema, old.schema())) {
                    problems.add(backward(d, old.version()));
                }
            }
            if (mode.checksForward()) {
                for (Difference d : Compatibility.canRead(old.schema(), schema)) {
                    problems.add(forward(d, old.version()));
                }
            }
        }
        return problems;
    }

    private static final String MAKE_OPTIONAL = "make it Optional<...> or annotate it @Nullable, or declare a default"
            + " with @JsonProperty(defaultValue = \"...\"); or write the new shape as a new version (a new record of"
            + " a sealed payload interface).";
    private static final String KEEP_TYPE = "keep the JSON type; to change it, add an optional property under a new"
            + " name and stop writing this one, or write the new shape as a new version.";

    /** Phrases a difference found when the new type (reader) reads an old version's data (writer). */
    static SchemaProblem backward(Difference d, int version) {
        String path = path(d);
        return switch (d.kind()) {
            case REQUIRED_BUT_MISSING -> new SchemaProblem(path, "added as a required property (" + d.reader()
                    + "), but messages written with version " + version + " do not have it.", version, MAKE_OPTIONAL);
            case REQUIRED_BUT_OPTIONAL -> new SchemaProblem(path, "now required, but version " + version
                    + " lets messages leave it out.", version, MAKE_OPTIONAL);
            case TYPE_CHANGED -> new SchemaProblem(path, "JSON type changed from " + d.writer() + " (version "
                    + version + ") to " + d.reader() + "; stored messages hold " + d.writer() + ".", version, KEEP_TYPE);
            case ENUM_VALUES_UNKNOWN -> new SchemaProblem(path, "enum narrowed: " + d.values() + " of version "
                    + version + " are gone, but stored messages may hold them.", version,
                    "keep those values, or write the new shape as a new version.");
        };
    }

    /** Phrases a difference found when an old version (reader) reads the new type's data (writer). */
    static SchemaProblem forward(Difference d, int version) {
        String path = path(d);
        String keepRequired = "keep writing it as a required property until no consumer uses version " + version
                + ", or use BACKWARD mode, or write the new shape as a new version.";
        return switch (d.kind()) {
            case REQUIRED_BUT_MISSING -> new SchemaProblem(path, "removed, but consumers on version " + version
                    + " require it.", version, keepRequired);
            case REQUIRED_BUT_OPTIONAL -> new SchemaProblem(path, "now optional, but consumers on version " + version
                    + " require it.", version, keepRequired);
            case TYPE_CHANGED -> new SchemaProblem(path, "JSON type changed from " + d.reader() + " (version "
                    + version + ") to " + d.writer() + "; consumers on version " + version + " expect " + d.reader()
                    + ".", version, KEEP_TYPE);
            case ENUM_VALUES_UNKNOWN -> new SchemaProblem(path, "enum widened: " + d.values()
                    + " are unknown to consumers on version " + version + ".", version,
                    "add the values to the consumers first, or use BACKWARD mode, or write the new shape as a new"
                            + " version.");
        };
    }

    static String path(Difference d) {
        return d.path().isEmpty() ? "(payload)" : d.path();
    }
}
