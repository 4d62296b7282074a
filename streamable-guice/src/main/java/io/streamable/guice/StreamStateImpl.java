package io.streamable.guice;

import java.lang.annotation.Annotation;
import java.util.Objects;

/** An instance of {@link StreamState} for binding keys; equal to the annotation on a parameter, as Annotation requires. */
@SuppressWarnings("ClassExplicitlyAnnotation")
final class StreamStateImpl implements StreamState {
    private final String value;

    StreamStateImpl(String value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    @Override
    public String value() {
        return value;
    }

    @Override
    public Class<? extends Annotation> annotationType() {
        return StreamState.class;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StreamState that && value.equals(that.value());
    }

    @Override
    public int hashCode() {
        return (127 * "value".hashCode()) ^ value.hashCode();
    }

    @Override
    public String toString() {
        return "@" + StreamState.class.getName() + "(\"" + value + "\")";
    }
}
