package io.streamable.tck;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;

import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Runs each {@link ContractTest} once per repetition of the stress mode. Registered by the
 * annotation; backend authors do not use it directly.
 */
public final class ContractTestRepetitions implements TestTemplateInvocationContextProvider {
    /** The system property or JUnit configuration parameter that sets how often every test runs. */
    public static final String REPEAT_PROPERTY = "streamable.tck.repeat";

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(method -> AnnotationSupport.isAnnotated(method, ContractTest.class))
                .orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        int repetitions = repetitions(context);
        return IntStream.rangeClosed(1, repetitions).mapToObj(repetition -> new Repetition(context.getDisplayName(), repetition, repetitions));
    }

    /** The configured repetition count: the JUnit configuration parameter, else the system property, else 1. */
    static int repetitions(ExtensionContext context) {
        String configured = context.getConfigurationParameter(REPEAT_PROPERTY)
                .orElseGet(() -> System.getProperty(REPEAT_PROPERTY, "1"));
        try {
            int repetitions = Integer.parseInt(configured.trim());
            if (repetitions >= 1) {
                return repetitions;
            }
        } catch (NumberFormatException e) {
            // reported below with the rule
        }
        throw new IllegalArgumentException(REPEAT_PROPERTY + " must be a whole number of at least 1 (how often each"
                + " contract test runs), got \"" + configured + "\"; for example -D" + REPEAT_PROPERTY + "=20");
    }

    /** One run of a contract test; its display name says which repetition it is when there are several. */
    private record Repetition(String test, int repetition, int of) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return of == 1 ? test : test + " [repetition " + repetition + " of " + of + "]";
        }
    }
}
