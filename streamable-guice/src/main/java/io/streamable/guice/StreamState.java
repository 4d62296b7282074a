package io.streamable.guice;

import com.google.inject.BindingAnnotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the state store of an injected {@code StateStore<V>}; the store must be declared with
 * {@link StreamableModule.Builder#stateStore}.
 *
 * <pre>{@code
 * @Inject
 * Balances(@StreamState("balances") StateStore<Long> balances) { ... }
 * }</pre>
 */
@BindingAnnotation
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface StreamState {
    /** {@return the store's name} */
    String value();
}
