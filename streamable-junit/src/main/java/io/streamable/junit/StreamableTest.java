package io.streamable.junit;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives each test its own in-memory backend: a test method (or constructor, or lifecycle method)
 * of an annotated class may declare a {@link io.streamable.client.Streamable} parameter and gets a
 * connection to a fresh, empty store that no other test sees; everything opened on it is closed
 * after the test. Declare a {@link TestBackend} parameter to open further connections to the same
 * store, for example to restart a named consumer on a new connection. Works on JUnit Jupiter 5.10
 * and later, see {@link StreamableExtension}.
 *
 * <pre>{@code
 * @StreamableTest
 * class BillingTest {
 *     @Test
 *     void billsEveryOrder(Streamable streamable) {
 *         streamable.producer(ORDERS).appendAndWait("shop-1", new Order("o-1", 100));
 *         ...
 *     }
 * }
 * }</pre>
 */
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(StreamableExtension.class)
public @interface StreamableTest {
}
