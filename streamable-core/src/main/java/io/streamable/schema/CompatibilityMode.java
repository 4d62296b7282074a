package io.streamable.schema;

/**
 * Which schema changes a topic accepts, as in Confluent Schema Registry. "Reader" is the Java type
 * a consumer decodes with, "writer" the type a producer encoded with. A topic's mode is stored in
 * the backend with its schema versions and set with
 * {@link SchemaRegistry#setCompatibility(String, CompatibilityMode)}; the default is
 * {@link #BACKWARD}.
 *
 * <p>What counts as compatible: adding an optional property, or removing one, is backward
 * compatible; adding a required property without a default, making an optional property required,
 * changing a property's JSON type, or removing enum values (narrowing) is not. Forward
 * compatibility is the mirror image: removing a required property or adding enum values breaks it.
 */
public enum CompatibilityMode {
    /** The new type can read every message written with the previous version. The default. */
    BACKWARD(true, false, false),
    /** The new type can read every message written with any earlier version. */
    BACKWARD_TRANSITIVE(true, false, true),
    /** Consumers still on the previous version can read messages written with the new type. */
    FORWARD(false, true, false),
    /** Consumers on any earlier version can read messages written with the new type. */
    FORWARD_TRANSITIVE(false, true, true),
    /** Both {@link #BACKWARD} and {@link #FORWARD} against the previous version. */
    FULL(true, true, false),
    /** Both {@link #BACKWARD} and {@link #FORWARD} against every earlier version. */
    FULL_TRANSITIVE(true, true, true),
    /** No check: every new type is accepted. Consumers may then meet messages they cannot decode. */
    NONE(false, false, false);

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityMode(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** {@return whether the new type must read data written with earlier versions} */
    public boolean checksBackward() {
        return backward;
    }

    /** {@return whether earlier versions must read data written with the new type} */
    public boolean checksForward() {
        return forward;
    }

    /** {@return whether the check covers every earlier version rather than the latest one} */
    public boolean isTransitive() {
        return transitive;
    }
}
