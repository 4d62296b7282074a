package io.streamable.junit;

import io.streamable.Topic;
import io.streamable.client.Streamable;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The main class {@link StreamableExtensionOnOldestJunitTest} runs in a JVM whose class path has
 * the oldest supported JUnit instead of the build's: it runs {@link Scenario} through the JUnit
 * Platform Launcher, then checks that every {@link Streamable} the extension injected was closed
 * once its test ended. Prints what it found and exits 0 only if all of it held, so the test can
 * fail. Uses only Launcher API that JUnit Platform 1.10 has.
 */
public final class OldestJunitLauncher {
    static final Topic<String> NOTES = Topic.of("notes", String.class);
    static final List<Streamable> SEEN = new CopyOnWriteArrayList<>();
    static final List<Boolean> OPEN_DURING_TEST = new CopyOnWriteArrayList<>();

    private OldestJunitLauncher() {
    }

    /** Runs the scenario; exit code 0 if both tests passed and every injected connection was closed after them. */
    public static void main(String[] args) {
        String engine = org.junit.jupiter.engine.JupiterTestEngine.class.getPackage().getImplementationVersion();
        String api = Test.class.getPackage().getImplementationVersion();
        System.out.println("junit-jupiter-engine " + engine + ", junit-jupiter-api " + api);

        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(Scenario.class)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        summary.printFailuresTo(new PrintWriter(System.out, true), 20);
        System.out.println("tests succeeded " + summary.getTestsSucceededCount() + ", failed "
                + summary.getTestsFailedCount());

        long closed = SEEN.stream().filter(OldestJunitLauncher::isClosed).count();
        System.out.println("connections open during their test " + OPEN_DURING_TEST.stream().filter(b -> b).count()
                + " of " + OPEN_DURING_TEST.size() + ", closed after it " + closed + " of " + SEEN.size());
        boolean ok = summary.getTestsSucceededCount() == 2 && summary.getTestsFailedCount() == 0
                && SEEN.size() == 3 && closed == SEEN.size() && !OPEN_DURING_TEST.contains(false);
        System.out.println(ok ? "OK" : "FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static boolean isClosed(Streamable streamable) {
        try {
            streamable.topics();
            return false;
        } catch (IllegalStateException closed) {
            return true;
        }
    }

    private static boolean isOpen(Streamable streamable) {
        return !isClosed(streamable);
    }

    /** Two tests as a user writes them; the second also opens a further connection. */
    @StreamableTest
    static class Scenario {
        @Test
        void writes(Streamable streamable) {
            SEEN.add(streamable);
            streamable.producer(NOTES).appendAndWait("k", "one");
            OPEN_DURING_TEST.add(isOpen(streamable));
        }

        @Test
        void reopens(Streamable streamable, TestBackend backend) {
            SEEN.add(streamable);
            Streamable second = backend.open();
            SEEN.add(second);
            second.producer(NOTES).appendAndWait("k", "two");
            OPEN_DURING_TEST.add(isOpen(streamable) && isOpen(second) && streamable.topics().contains("notes"));
        }
    }
}
