package io.streamable.examples;

import io.streamable.client.Streamable;
import io.streamable.examples.failure.FailurePolicies;
import io.streamable.examples.resume.NamedConsumerResume;
import io.streamable.junit.StreamableTest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples' logic tested the way a user tests their own code: {@link StreamableTest} hands each
 * test a fresh in-memory backend and closes it afterwards.
 */
@StreamableTest
@DisplayName("examples under @StreamableTest")
class ExamplesOnStreamableTest {

    private static List<String> lines(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    @DisplayName("the dead-letter topic receives exactly the failing payment, with its source and error")
    void deadLetters(Streamable streamable) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FailurePolicies.run(streamable, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(lines(out)).containsSubsequence(
                "-- dead-letter to payments.dlq",
                "  DEAD_LETTERED after 3 attempts: payment p2 has a negative amount",
                "-- reading payments.dlq",
                "  dead letter p2 from topic payments, error: java.lang.IllegalArgumentException: payment p2 has a negative amount");
        assertThat(streamable.topics()).containsExactlyInAnyOrder("payments", "payments.dlq");
    }

    @Test
    @DisplayName("the resumed billing consumer bills only the orders appended while it was stopped")
    void resumes(Streamable streamable) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        NamedConsumerResume.run(streamable, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(lines(out)).filteredOn(line -> line.startsWith("second run: billed"))
                .containsExactly("second run: billed order-6 for 600 cents", "second run: billed order-7 for 700 cents",
                        "second run: billed order-8 for 800 cents");
        assertThat(streamable.topics()).containsExactly("orders");
    }
}
