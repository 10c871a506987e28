package io.meridian.client;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How many retries a client may send, on a simulated clock. */
class RetryBudgetTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aReserveOfRetriesASecondRefillsWithTime() {
        RetryBudget b = new RetryBudget(0, 2, 100);
        assertThat(b.tryRetry(0)).isTrue();
        assertThat(b.tryRetry(0)).isTrue();
        assertThat(b.tryRetry(0)).isFalse();
        assertThat(b.tryRetry(SECOND / 4)).isFalse(); // half a retry back
        assertThat(b.tryRetry(SECOND / 2)).isTrue();
        assertThat(b.available(10 * SECOND)).isEqualTo(2); // the reserve holds at most a second's worth
    }

    @Test
    void requestsEarnAShareOfARetryUpToTheMost() {
        RetryBudget b = new RetryBudget(0.2, 0, 3);
        for (int i = 0; i < 4; i++) {
            b.requested();
        }
        assertThat(b.tryRetry(0)).isFalse(); // 0.8 earned
        b.requested();
        assertThat(b.tryRetry(0)).isTrue();
        for (int i = 0; i < 1_000; i++) {
            b.requested();
        }
        assertThat(b.available(0)).isEqualTo(3);
        assertThat(b.tryRetry(0)).isTrue();
        assertThat(b.tryRetry(0)).isTrue();
        assertThat(b.tryRetry(0)).isTrue();
        assertThat(b.tryRetry(0)).isFalse();
    }

    @Test
    void aFailingRegionCannotTurnEveryRequestIntoSeveral() {
        // 1,000 requests that all fail, each wanting up to two retries within one second: at most a fifth retried, plus the reserve.
        RetryBudget b = new RetryBudget(0.2, 10, 100);
        int retries = 0;
        for (int i = 0; i < 1_000; i++) {
            b.requested();
            long now = i * (SECOND / 1_000);
            for (int attempt = 0; attempt < 2 && b.tryRetry(now); attempt++) {
                retries++;
            }
        }
        assertThat(retries).isBetween(200, 220);
    }
}
