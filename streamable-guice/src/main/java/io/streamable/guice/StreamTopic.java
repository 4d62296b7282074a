package io.streamable.guice;

import com.google.inject.BindingAnnotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the topic of an injected {@code Topic<T>}, {@code Producer<T>} or
 * {@code ConsumerBuilder<T>}; the topic must be declared with
 * {@link StreamableModule.Builder#topic}.
 *
 * <pre>{@code
 * @Inject
 * Billing(@StreamTopic("orders") Producer<Order> orders) { ... }
 * }</pre>
 */
@BindingAnnotation
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface StreamTopic {
    /** {@return the topic's name} */
    String value();
}
