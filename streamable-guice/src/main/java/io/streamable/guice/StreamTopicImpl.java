package io.streamable.guice;

import java.lang.annotation.Annotation;
import java.util.Objects;

/** An instance of {@link StreamTopic} for binding keys; equal to the annotation on a parameter, as Annotation requires. */
@SuppressWarnings("ClassExplicitlyAnnotation")
final class StreamTopicImpl implements StreamTopic {
    private final String value;

    StreamTopicImpl(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    @Override
    public String value() {
        return value;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return StreamTopic.class;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StreamTopic that && value.equals(that.value());
    }

    @Override
    public int hashCode() {
        // the hash java.lang.annotation.Annotation specifies: member name's hash * 127 XOR value's hash
        return (127 * "value".hashCode()) ^ value.hashCode();
    }

    @Override
    public String toString() {
        return "@" + StreamTopic.class.getName() + "(\"" + value + "\")";
    }
}
