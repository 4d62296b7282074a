package io.streamable;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * The Java type of a topic's payloads, generic types included. Capture a generic type with an
 * anonymous subclass, the way Jackson's {@code TypeReference} works:
 *
 * <pre>{@code
 * PayloadType<List<Order>> orders = new PayloadType<>() {};
 * PayloadType<Order> order = PayloadType.of(Order.class);
 * }</pre>
 *
 * @param <T> the payload type
 */
public abstract class PayloadType<T> {
    private final Type type;

    /** Captures the type argument of an anonymous subclass. */
    protected PayloadType() {
        Type superclass = getClass().getGenericSuperclass();
        if (!(superclass instanceof ParameterizedType parameterized)) {
            throw new IllegalStateException("Create a PayloadType as an anonymous subclass with a type argument,"
                    + " for example new PayloadType<List<Order>>() {}");
        }
        this.type = parameterized.getActualTypeArguments()[0];
    }

    private PayloadType(Type type) {
        this.type = Objects.requireNonNull(type, "type");
    }

    /**
     * The payload type of a plain class.
     *
     * @param type the payload class
     * @param <T>  the payload type
     * @return its payload type
     */
    public static <T> PayloadType<T> of(Class<T> type) {
        return new PayloadType<>(type) {
        };
    }

    /**
     * A payload type from a reflected type, for frameworks that already hold one.
     *
     * @param type a class or a parameterized type
     * @return a payload type for it, typed as {@code Object}
     */
    public static PayloadType<Object> ofType(Type type) {
        return new PayloadType<>(type) {
        };
    }

    /** {@return the reflected type, for codecs} */
    public Type type() {
        return type;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PayloadType<?> that && type.equals(that.type);
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public String toString() {
        return type.getTypeName();
    }
}
