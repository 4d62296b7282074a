package io.streamable.client;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.streamable.Position;
import io.streamable.backend.StoredRecord;
import io.streamable.json.JsonCodecFactory;
import io.streamable.schema.CompatibilityMode;
import io.streamable.schema.IncompatibleSchemaException;
import io.streamable.schema.SchemaProblem;
import io.streamable.schema.SchemaVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Each mode with accepted and rejected changes, checked by replaying a schema log as every reader does. */
class CompatibilityModeTest {
    private static final ObjectMapper MAPPER = JsonCodecFactory.newObjectMapper();
    private static final SchemaDeriver DERIVER = new SchemaDeriver(MAPPER);

    // the base version and its changes
    record Base(String id, long cents) {
    }

    record AddOptional(String id, long cents, Optional<String> note) {
    }

    record AddRequired(String id, long cents, String currency) {
    }

    record AddDefaulted(String id, long cents, @JsonProperty(defaultValue = "EUR") String currency) {
    }

    record RemoveRequired(String id) {
    }

    record ChangeType(String id, String cents) {
    }

    record CentsOptional(String id, Optional<Long> cents) {
    }

    enum Three { A, B, C }

    enum Two { A, B }

    enum Four { A, B, C, D }

    record WithThree(String id, Three status) {
    }

    record WithTwo(String id, Two status) {
    }

    record WithFour(String id, Four status) {
    }

    // a chain whose third step is compatible with the second but not with the first
    record T1(String id, Optional<String> a) {
    }

    record T2(String id) {
    }

    record T3(String id, Optional<Integer> a) {
    }

    /** A schema log built as a backend would store it, replayed as every registry replays it. */
    private static final class Log {
        private final List<StoredRecord> records = new ArrayList<>();

        Log mode(CompatibilityMode mode) {
            return add(SchemaLog.Entry.modeChange(mode));
        }

        Log register(Class<?> type) {
            return register("", type);
        }

        Log register(String variant, Class<?> type) {
            return add(SchemaLog.Entry.registration(variant, type.getName(), DERIVER.derive(type)));
        }

        private Log add(SchemaLog.Entry entry) {
            try {
                records.add(new StoredRecord(Position.of(records.size()), Instant.now(), "schemas", Optional.empty(),
                        Map.of(), MAPPER.writeValueAsBytes(entry)));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return this;
        }

        SchemaLog replay() {
            return SchemaLog.replay("orders", records, MAPPER);
        }

        List<SchemaProblem> check(Class<?> type) {
            return replay().check("", DERIVER.derive(type));
        }
    }

    private static Log base(CompatibilityMode mode) {
        return new Log().mode(mode).register(Base.class);
    }

    @Nested
    @DisplayName("BACKWARD: the new type reads the previous version's messages")
    class Backward {
        @Test
        @DisplayName("is the default")
        void isDefault() {
            assertThat(new Log().replay().mode()).isEqualTo(CompatibilityMode.BACKWARD);
        }

        @Test
        @DisplayName("accepts adding an optional property, adding one with a default, and removing one")
        void accepts() {
            assertThat(base(CompatibilityMode.BACKWARD).check(AddOptional.class)).isEmpty();
            assertThat(base(CompatibilityMode.BACKWARD).check(AddDefaulted.class)).isEmpty();
            assertThat(base(CompatibilityMode.BACKWARD).check(RemoveRequired.class)).isEmpty();
        }

        @Test
        @DisplayName("rejects adding a required property, naming the property, the version and the fix")
        void rejectsNewRequired() {
            List<SchemaProblem> problems = base(CompatibilityMode.BACKWARD).check(AddRequired.class);
            assertThat(problems).singleElement().satisfies(p -> {
                assertThat(p.path()).isEqualTo("currency");
                assertThat(p.conflictingVersion()).isEqualTo(1);
                assertThat(p.change()).contains("required").contains("version 1 do not have it");
                assertThat(p.fix()).contains("Optional").contains("@Nullable").contains("defaultValue").contains("new version");
            });
        }

        @Test
        @DisplayName("rejects a changed JSON type and a narrowed enum")
        void rejectsTypeAndEnum() {
            assertThat(base(CompatibilityMode.BACKWARD).check(ChangeType.class)).singleElement()
                    .satisfies(p -> assertThat(p.change()).contains("from integer (version 1) to string"));
            Log log = new Log().register(WithThree.class);
            assertThat(log.check(WithTwo.class)).singleElement()
                    .satisfies(p -> assertThat(p.change()).contains("enum narrowed").contains("[C]"));
            assertThat(log.check(WithFour.class)).as("widening is backward compatible").isEmpty();
        }

        @Test
        @DisplayName("checks against the latest version only")
        void latestOnly() {
            Log log = new Log().register(T1.class).register(T2.class);
            assertThat(log.check(T3.class)).isEmpty();
        }
    }

    @Nested
    @DisplayName("FORWARD: consumers of the previous version read the new type's messages")
    class Forward {
        @Test
        @DisplayName("accepts adding any property, required or not")
        void accepts() {
            assertThat(base(CompatibilityMode.FORWARD).check(AddOptional.class)).isEmpty();
            assertThat(base(CompatibilityMode.FORWARD).check(AddRequired.class)).isEmpty();
        }

        @Test
        @DisplayName("rejects removing a required property, making it optional, and widening an enum")
        void rejects() {
            assertThat(base(CompatibilityMode.FORWARD).check(RemoveRequired.class)).singleElement()
                    .satisfies(p -> assertThat(p.toString()).contains("cents").contains("removed")
                            .contains("consumers on version 1 require it"));
            assertThat(base(CompatibilityMode.FORWARD).check(CentsOptional.class)).singleElement()
                    .satisfies(p -> assertThat(p.change()).contains("now optional"));
            Log log = new Log().mode(CompatibilityMode.FORWARD).register(WithThree.class);
            assertThat(log.check(WithFour.class)).singleElement()
                    .satisfies(p -> assertThat(p.change()).contains("enum widened").contains("[D]"));
            assertThat(log.check(WithTwo.class)).as("narrowing is forward compatible").isEmpty();
        }
    }

    @Nested
    @DisplayName("FULL: both directions against the previous version")
    class Full {
        @Test
        @DisplayName("accepts adding an optional property")
        void accepts() {
            assertThat(base(CompatibilityMode.FULL).check(AddOptional.class)).isEmpty();
        }

        @Test
        @DisplayName("rejects adding a required property and removing a required one")
        void rejects() {
            assertThat(base(CompatibilityMode.FULL).check(AddRequired.class)).hasSize(1);
            assertThat(base(CompatibilityMode.FULL).check(RemoveRequired.class)).hasSize(1);
            assertThat(base(CompatibilityMode.FULL).check(ChangeType.class)).as("both directions report it").hasSize(2);
        }
    }

    @Nested
    @DisplayName("TRANSITIVE variants check every earlier version")
    class Transitive {
        private Log chain(CompatibilityMode mode) {
            return new Log().mode(mode).register(T1.class).register(T2.class);
        }

        @Test
        @DisplayName("the non-transitive modes accept a change compatible with the latest version only")
        void nonTransitiveAccept() {
            assertThat(chain(CompatibilityMode.BACKWARD).check(T3.class)).isEmpty();
            assertThat(chain(CompatibilityMode.FORWARD).check(T3.class)).isEmpty();
            assertThat(chain(CompatibilityMode.FULL).check(T3.class)).isEmpty();
        }

        @Test
        @DisplayName("BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE and FULL_TRANSITIVE reject it, naming version 1")
        void transitiveReject() {
            for (CompatibilityMode mode : List.of(CompatibilityMode.BACKWARD_TRANSITIVE,
                    CompatibilityMode.FORWARD_TRANSITIVE, CompatibilityMode.FULL_TRANSITIVE)) {
                assertThat(chain(mode).check(T3.class)).as(mode.name()).isNotEmpty()
                        .allSatisfy(p -> {
                            assertThat(p.conflictingVersion()).isEqualTo(1);
                            assertThat(p.path()).isEqualTo("a");
                        });
            }
        }

        @Test
        @DisplayName("they accept a change compatible with every version")
        void transitiveAccept() {
            Log log = new Log().mode(CompatibilityMode.FULL_TRANSITIVE).register(Base.class).register(AddOptional.class);
            assertThat(log.check(AddOptional.class)).isEmpty();
            record AddTwoOptional(String id, long cents, Optional<String> note, Optional<Boolean> gift) {
            }
            assertThat(log.check(AddTwoOptional.class)).isEmpty();
        }
    }

    @Nested
    @DisplayName("NONE and the log")
    class NoneAndLog {
        @Test
        @DisplayName("NONE accepts any change")
        void none() {
            assertThat(base(CompatibilityMode.NONE).check(ChangeType.class)).isEmpty();
            assertThat(base(CompatibilityMode.NONE).check(AddRequired.class)).isEmpty();
        }

        @Test
        @DisplayName("versions are numbered in log order; the same schema again keeps its version")
        void numbering() {
            SchemaLog log = new Log().register(Base.class).register(AddOptional.class).register(Base.class)
                    .register(AddOptional.class).replay();
            assertThat(log.versions()).extracting(SchemaVersion::version).containsExactly(1, 2);
            assertThat(log.outcome(Position.of(2)).orElseThrow().version()).map(SchemaVersion::version).contains(1);
            assertThat(log.outcome(Position.of(3)).orElseThrow().version()).map(SchemaVersion::version).contains(2);
        }

        @Test
        @DisplayName("of two racing registrations each checked against version 1, the later one is rejected"
                + " if it breaks the earlier: every replay agrees")
        void raceResolvesInLogOrder() {
            record WithNote(String id, long cents, Optional<String> note) {
            }
            record WithNumberNote(String id, long cents, Optional<Integer> note) {
            }
            SchemaLog log = new Log().register(Base.class).register(WithNote.class).register(WithNumberNote.class).replay();
            assertThat(log.versions()).hasSize(2);
            SchemaLog.Outcome loser = log.outcome(Position.of(2)).orElseThrow();
            assertThat(loser.version()).isEmpty();
            assertThat(loser.problems()).singleElement().satisfies(p -> {
                assertThat(p.conflictingVersion()).isEqualTo(2);
                assertThat(p.path()).isEqualTo("note");
            });
        }

        @Test
        @DisplayName("a mode change applies to registrations after it, not before")
        void modeChangeInOrder() {
            SchemaLog log = new Log().register(Base.class).register(AddRequired.class)
                    .mode(CompatibilityMode.NONE).register(AddRequired.class).replay();
            assertThat(log.outcome(Position.of(1)).orElseThrow().version()).isEmpty();
            assertThat(log.outcome(Position.of(3)).orElseThrow().version()).map(SchemaVersion::version).contains(2);
            assertThat(log.mode()).isEqualTo(CompatibilityMode.NONE);
        }

        @Test
        @DisplayName("variants of a sealed type are checked only against their own earlier versions")
        void variantsAreSeparate() {
            Log log = new Log().register("OrderPlacedV1", Base.class);
            assertThat(log.replay().check("OrderPlacedV2", DERIVER.derive(ChangeType.class))).isEmpty();
            assertThat(log.replay().check("OrderPlacedV1", DERIVER.derive(ChangeType.class))).isNotEmpty();
        }

        @Test
        @DisplayName("an unreadable log record is skipped by every replay alike")
        void unreadableRecordSkipped() {
            Log log = new Log().register(Base.class);
            log.records.add(new StoredRecord(Position.of(1), Instant.now(), "schemas", Optional.empty(), Map.of(),
                    "not json".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            log.register(AddOptional.class);
            assertThat(log.replay().versions()).extracting(SchemaVersion::version).containsExactly(1, 2);
        }
    }

    @Test
    @DisplayName("the exception's message is a readable report: type, mode, topic, property, version and fixes")
    void report() {
        List<SchemaProblem> problems = base(CompatibilityMode.BACKWARD).check(AddRequired.class);
        IncompatibleSchemaException e = new IncompatibleSchemaException("orders", "com.example.OrderV2",
                CompatibilityMode.BACKWARD, problems);
        assertThat(e.getMessage())
                .contains("com.example.OrderV2 is not BACKWARD compatible")
                .contains("topic \"orders\"")
                .contains("currency (conflicts with version 1)")
                .contains("Fix: make it Optional")
                .contains("setCompatibility(\"orders\", CompatibilityMode.NONE)");
        assertThat(e.problems()).isEqualTo(problems);
    }
}
