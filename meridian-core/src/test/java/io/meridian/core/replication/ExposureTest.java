package io.meridian.core.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.config.RpoBudget;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExposureTest {
    private static final RpoBudget BUDGET = new RpoBudget(Duration.ofMillis(250), RpoBudget.OnExceeded.WAIT);

    @Test
    void aWriteCountsUntilAnotherRegionHoldsIt() {
        Exposure x = new Exposure(0);
        x.written("a", 1, 1_000, 10);
        x.written("b", 2, 1_010, 20);
        x.written("a", 3, 1_020, 30);
        assertThat(x.of("a")).isEqualTo(new Exposure.Summary(2, 40, 1_000));
        assertThat(x.of("a").oldestAgeMillis(1_100)).isEqualTo(100);
        x.heldElsewhere(2);
        assertThat(x.of("a")).isEqualTo(new Exposure.Summary(1, 30, 1_020));
        assertThat(x.of("b")).isEqualTo(Exposure.Summary.NONE);
        assertThat(x.all()).containsOnlyKeys("a");
        assertThat(x.held(2)).isTrue();
        assertThat(x.held(3)).isFalse();
        x.heldElsewhere(1); // an older acknowledgement changes nothing
        assertThat(x.heldThrough()).isEqualTo(2);
        x.heldElsewhere(3);
        assertThat(x.all()).isEmpty();
        assertThat(x.of("a").oldestAgeMillis(5_000)).isZero();
    }

    @Test
    void theBudgetIsExceededOnlyOnceTheOldestExposedWriteIsOlderThanIt() {
        Exposure x = new Exposure(0);
        assertThat(x.overBudget("a", BUDGET, 10_000)).isEmpty();
        x.written("a", 1, 10_000, 1);
        assertThat(x.overBudget("a", BUDGET, 10_250)).isEmpty();
        assertThat(x.overBudget("a", BUDGET, 10_251)).get().asString().contains("1 write acknowledged here, the oldest 251 ms ago");
        assertThat(x.overBudget("b", BUDGET, 10_251)).as("another keyspace has its own budget").isEmpty();
        x.heldElsewhere(1);
        assertThat(x.overBudget("a", BUDGET, 20_000)).isEmpty();
        assertThat(x.overBudget("a", new RpoBudget(Duration.ZERO, RpoBudget.OnExceeded.REFUSE), 20_000))
                .as("a budget of 0 always waits for a copy").isPresent();
    }

    @Test
    void writesBeyondTheTrackedLimitAreCountedWithTheNewestAndLeaveWithIt() {
        Exposure x = new Exposure(0);
        for (long seq = 1; seq <= Exposure.TRACKED_MAX + 10; seq++) {
            x.written("a", seq, seq, 1);
        }
        assertThat(x.of("a").writes()).isEqualTo(Exposure.TRACKED_MAX + 10);
        x.heldElsewhere(Exposure.TRACKED_MAX - 1);
        assertThat(x.of("a").writes()).isEqualTo(11);
        x.heldElsewhere(Exposure.TRACKED_MAX + 5);
        assertThat(x.of("a").writes()).as("the merged tail leaves only once all of it is held").isEqualTo(11);
        x.heldElsewhere(Exposure.TRACKED_MAX + 10);
        assertThat(x.of("a").writes()).isZero();
    }

    @Test
    void writesAnotherRegionAlreadyHoldsAreNotCounted() {
        Exposure x = new Exposure(5);
        x.written("a", 4, 1, 1);
        assertThat(x.all()).isEmpty();
        x.written("a", 6, 1, 1);
        assertThat(x.of("a").writes()).isEqualTo(1);
    }
}
