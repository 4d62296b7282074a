package io.streamable.schema;

import java.util.Objects;
import java.util.function.Function;

/**
 * Turns a payload of an older version into the next one, so that a handler sees only the newest
 * type. Register upcasters with {@code Streamable.builder().upcaster(...)}; a consumer applies
 * them in a chain ({@code V1 -> V2 -> V3}) to every decoded payload.
 *
 * <pre>{@code
 * Upcaster.of(OrderPlacedV1.class, OrderPlacedV2.class, v1 -> new OrderPlacedV2(v1.id(), v1.cents(), "EUR"))
 * }</pre>
 *
 * @param from     the older type
 * @param to       the newer type
 * @param function the conversion; must not return null
 * @param <A>      the older type
 * @param <B>      the newer type
 */
public record Upcaster<A, B>(Class<A> from, Class<B> to, Function<? super A, ? extends B> function) {
    /**
     * Checks the components.
     *
     * @param from     the older type
     * @param to       the newer type, not {@code from}
     * @param function the conversion; must not return null
     */
    public Upcaster {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(function, "function");
        if (from.equals(to)) {
            throw new IllegalArgumentException("An upcaster must change the type, got " + from.getName() + " to itself");
        }
    }

    /**
     * An upcaster from {@code from} to {@code to}.
     *
     * @param from     the older type
     * @param to       the newer type
     * @param function the conversion; must not return null
     * @param <A>      the older type
     * @param <B>      the newer type
     * @return the upcaster
     */
    public static <A, B> Upcaster<A, B> of(Class<A> from, Class<B> to, Function<? super A, ? extends B> function) {
        return new Upcaster<>(from, to, function);
    }
}
