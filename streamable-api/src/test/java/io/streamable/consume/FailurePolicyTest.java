package io.streamable.consume;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FailurePolicyTest {

    @Test
    @DisplayName("the default retries three times with backoff, then stops")
    void defaults() {
        FailurePolicy policy = FailurePolicy.defaults();
        assertThat(policy.maxAttempts()).isEqualTo(3);
        assertThat(policy.whenExhausted()).isEqualTo(ConsumerFailure.Outcome.STOPPED);
    }

    @Test
    @DisplayName("backoff doubles from the initial wait and never exceeds the maximum")
    void backoff() {
        FailurePolicy policy = FailurePolicy.retry(10).withBackoff(Duration.ofMillis(100), Duration.ofMillis(500));
        assertThat(policy.backoffAfter(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.backoffAfter(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(policy.backoffAfter(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(policy.backoffAfter(9)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    @DisplayName("a dead-letter policy names a valid topic; nonsense settings are refused")
    void validation() {
        assertThat(FailurePolicy.retry(2).thenDeadLetter("orders.dlq").deadLetterTopic()).hasValue("orders.dlq");
        assertThatThrownBy(() -> FailurePolicy.retry(0)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> FailurePolicy.retry(1).thenDeadLetter("bad name")).hasMessageContaining("Invalid topic name");
        assertThatThrownBy(() -> FailurePolicy.retry(1).withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessageContaining("0 <= initial <= max");
        assertThat(FailurePolicy.retry(2).thenSkip().whenExhausted()).isEqualTo(ConsumerFailure.Outcome.SKIPPED);
        assertThat(FailurePolicy.retry(2).thenDeadLetter("orders.dlq").whenExhausted())
                .isEqualTo(ConsumerFailure.Outcome.DEAD_LETTERED);
        assertThatThrownBy(() -> new FailurePolicy(2, Duration.ZERO, Duration.ZERO, ConsumerFailure.Outcome.RETRYING,
                Optional.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("thenSkip()");
        assertThatThrownBy(() -> new FailurePolicy(2, Duration.ZERO, Duration.ZERO, ConsumerFailure.Outcome.SKIPPED,
                Optional.of("orders.dlq"))).hasMessageContaining("Outcome.DEAD_LETTERED and only with it");
    }
}
