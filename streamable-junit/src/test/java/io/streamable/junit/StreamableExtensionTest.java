package io.streamable.junit;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import io.streamable.consume.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs small test classes that use {@link StreamableTest} through the JUnit engine of this build
 * (5.13 or later), the way a user's build would, and checks what they saw.
 * {@link StreamableExtensionOnOldestJunitTest} runs the extension on JUnit 5.10.
 */
@DisplayName("@StreamableTest")
class StreamableExtensionTest {
    static final Topic<String> NOTES = Topic.of("notes", String.class);
    static final List<Streamable> SEEN = new CopyOnWriteArrayList<>();
    static final List<String> URLS = new CopyOnWriteArrayList<>();

    private static Events run(Class<?> scenario) {
        SEEN.clear();
        URLS.clear();
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(scenario)).execute().testEvents();
    }

    @Test
    @DisplayName("injects a working Streamable, a fresh empty store per test, and closes it after the test")
    void isolatesAndCloses() {
        Events events = run(IsolationScenario.class);
        events.assertStatistics(stats -> stats.started(2).succeeded(2).failed(0));
        assertThat(SEEN).hasSize(2);
        assertThat(SEEN.get(0)).isNotSameAs(SEEN.get(1));
        assertThat(URLS).doesNotHaveDuplicates().allMatch(url -> url.startsWith("memory:streamable-test-"));
        for (Streamable streamable : SEEN) {
            assertThatThrownBy(() -> streamable.producer(NOTES)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
    }

    @Test
    @DisplayName("TestBackend.open() reaches the same store, so a named consumer resumes on a new connection")
    void reopens() {
        Events events = run(ReopenScenario.class);
        events.assertStatistics(stats -> stats.started(1).succeeded(1).failed(0));
        assertThat(SEEN).hasSize(2).allSatisfy(streamable ->
                assertThatThrownBy(() -> streamable.topics()).isInstanceOf(IllegalStateException.class));
    }

    @Test
    @DisplayName("a failing assertion inside a test still fails the test, and its connection is still closed")
    void failuresPropagate() {
        Events events = run(FailingScenario.class);
        events.assertStatistics(stats -> stats.started(1).failed(1));
        assertThatThrownBy(() -> SEEN.get(0).topics()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("on JUnit 5.13 and later JUnit closes it as an AutoCloseable, with no warning about CloseableResource")
    void noDeprecationWarning() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        java.util.logging.Logger junit = java.util.logging.Logger.getLogger("org.junit");
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(String.valueOf(record.getMessage()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        junit.addHandler(handler);
        try {
            run(IsolationScenario.class).assertStatistics(stats -> stats.started(2).succeeded(2));
        } finally {
            junit.removeHandler(handler);
        }
        assertThat(SEEN).hasSize(2);
        assertThat(warnings).noneMatch(warning -> warning.contains("CloseableResource"));
    }

    @Test
    @DisplayName("with JUnit's closing of AutoCloseables switched off, it is still closed, as a CloseableResource")
    void closedAsCloseableResource() {
        SEEN.clear();
        URLS.clear();
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(IsolationScenario.class))
                .configurationParameter("junit.jupiter.extensions.store.close.autocloseable.enabled", "false")
                .execute().testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
        assertThat(SEEN).hasSize(2).allSatisfy(streamable ->
                assertThatThrownBy(streamable::topics).isInstanceOf(IllegalStateException.class));
    }

    @StreamableTest
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class IsolationScenario {
        @Test
        @Order(1)
        void writes(Streamable streamable, TestBackend backend) {
            SEEN.add(streamable);
            URLS.add(backend.url());
            assertThat(backend.streamable()).isSameAs(streamable);
            streamable.producer(NOTES).appendAndWait("k", "written by the first test");
            assertThat(streamable.topics()).containsExactly("notes");
        }

        @Test
        @Order(2)
        void seesNothingOfTheOtherTest(Streamable streamable, TestBackend backend) {
            SEEN.add(streamable);
            URLS.add(backend.url());
            assertThat(streamable.topics()).isEmpty();
        }
    }

    @StreamableTest
    static class ReopenScenario {
        @Test
        void resumes(Streamable streamable, TestBackend backend) throws InterruptedException {
            SEEN.add(streamable);
            streamable.producer(NOTES).appendAndWait("k", "one");
            List<String> got = new CopyOnWriteArrayList<>();
            CountDownLatch first = new CountDownLatch(1);
            try (Consumer<String> consumer = streamable.consumer(NOTES).name("reader")
                    .handler(m -> got.add(m.payload())).onCaughtUp(first::countDown).start()) {
                assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
            }
            Streamable second = backend.open();
            SEEN.add(second);
            second.producer(NOTES).appendAndWait("k", "two");
            CountDownLatch again = new CountDownLatch(1);
            try (Consumer<String> consumer = second.consumer(NOTES).name("reader")
                    .handler(m -> got.add(m.payload())).onCaughtUp(again::countDown).start()) {
                assertThat(again.await(10, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(got).containsExactly("one", "two");
        }
    }

    @StreamableTest
    static class FailingScenario {
        @Test
        void fails(Streamable streamable) {
            SEEN.add(streamable);
            assertThat(streamable.topics()).contains("never-there");
        }
    }
}
