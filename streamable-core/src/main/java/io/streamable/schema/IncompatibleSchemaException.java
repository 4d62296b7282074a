package io.streamable.schema;

import io.streamable.StreamableException;

import java.util.List;

/**
 * A producer was opened with a payload type that breaks its topic's {@link CompatibilityMode}.
 * Nothing was written. The message lists every problem: the property, what changed, the
 * conflicting version and how to fix it; {@link #problems()} has them as values.
 */
public class IncompatibleSchemaException extends StreamableException {
    private static final long serialVersionUID = 1L;

    /** The topic whose mode the type breaks. */
    private final String topic;
    /** The topic's mode when the check ran. */
    private final CompatibilityMode mode;
    private final transient List<SchemaProblem> problems;

    /**
     * Creates the exception; its message lists every problem with its fix.
     *
     * @param topic    the topic whose schema versions were checked
     * @param typeName the payload type that was checked
     * @param mode     the topic's compatibility mode
     * @param problems what is wrong, not empty
     */
    public IncompatibleSchemaException(String topic, String typeName, CompatibilityMode mode,
                                       List<SchemaProblem> problems) {
        super(report(topic, typeName, mode, problems));
        this.topic = topic;
        this.mode = mode;
        this.problems = List.copyOf(problems);
    }

    /** {@return the topic whose mode the type breaks} */
    public String topic() {
        return topic;
    }

    /** {@return the topic's mode when the check ran} */
    public CompatibilityMode mode() {
        return mode;
    }

    /** {@return what is wrong, one entry per property and conflicting version} */
    public List<SchemaProblem> problems() {
        return problems;
    }

    private static String report(String topic, String typeName, CompatibilityMode mode, List<SchemaProblem> problems) {
        StringBuilder text = new StringBuilder();
        text.append("Payload type ").append(typeName).append(" is not ").append(mode)
                .append(" compatible with the schema versions of topic \"").append(topic).append("\"; nothing was written.");
        for (SchemaProblem problem : problems) {
            text.append("\n  - ").append(problem.path()).append(" (conflicts with version ")
                    .append(problem.conflictingVersion()).append("): ").append(problem.change())
                    .append("\n    Fix: ").append(problem.fix());
        }
        text.append("\nIf the break is intended, write the new shape as a new version (a new record of a sealed"
                + " payload interface), or relax the topic's mode with streamable.schemas().setCompatibility(\"")
                .append(topic).append("\", CompatibilityMode.NONE).");
        return text.toString();
    }
}
