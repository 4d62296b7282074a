package io.streamable.tck;

import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a contract test. It runs once normally, and {@code N} times in stress mode, where
 * {@code N} is the {@value ContractTestRepetitions#REPEAT_PROPERTY} system property (or JUnit
 * configuration parameter). Every repetition gets a fresh test instance, so fresh connections
 * and fresh topics: races show up as flaky repetitions rather than hiding behind a lucky first run.
 *
 * <pre>{@code
 * mvn test -Dstreamable.tck.repeat=20
 * }</pre>
 */
@Documented
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(ContractTestRepetitions.class)
public @interface ContractTest {
}
