package io.meridian.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order a client tries regions in, on a simulated clock. */
class RegionRosterTest {
    private static final long MS = 1_000_000;

    private static RegionRoster roster(String... preferred) {
        RegionRoster r = new RegionRoster(List.of(URI.create("http://a:1"), URI.create("http://b:1"), URI.create("http://c:1")),
                List.of(preferred));
        r.named(0, "us-east");
        r.named(1, "eu-west");
        r.named(2, "ap-southeast");
        return r;
    }

    @Test
    void theNearestHealthyRegionComesFirstThenTheOthersByRoundTrip() {
        RegionRoster r = roster();
        assertThat(r.order(0)).containsExactly(0, 1, 2); // nothing measured: as configured
        r.measured(0, 80);
        r.measured(1, 5);
        r.measured(2, 40);
        assertThat(r.order(0)).containsExactly(1, 2, 0);
        // A moving average: one slow probe does not reorder at once.
        r.measured(1, 60);
        assertThat(r.rttMillis(1)).isEqualTo(5 + 0.3 * 55, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(r.order(0)).containsExactly(1, 2, 0);
    }

    @Test
    void preferredRegionsComeFirstWhileHealthy() {
        RegionRoster r = roster("ap-southeast", "us-east");
        r.measured(1, 1);
        assertThat(r.order(0)).containsExactly(2, 0, 1);
        r.failed(2, 0, 0);
        assertThat(r.order(0)).containsExactly(0, 1, 2);
    }

    @Test
    void aFailedRegionGoesLastForACoolDownThatDoublesAndOneSuccessEndsIt() {
        RegionRoster r = roster();
        r.failed(0, 0, 0);
        assertThat(r.isDown(0, 999 * MS)).isTrue();
        assertThat(r.order(500 * MS)).containsExactly(1, 2, 0);
        assertThat(r.order(1_000 * MS)).containsExactly(0, 1, 2); // back after 1 s
        r.failed(0, 1_000 * MS, 0);
        assertThat(r.isDown(0, 2_999 * MS)).isTrue(); // 2 s the second time in a row
        assertThat(r.isDown(0, 3_000 * MS)).isFalse();
        r.failed(0, 3_000 * MS, 0);
        assertThat(r.upAtNanos(0, 3_000 * MS)).isEqualTo(7_000 * MS); // 4 s
        r.succeeded(0);
        assertThat(r.isDown(0, 3_000 * MS)).isFalse();
        r.failed(0, 10_000 * MS, 0);
        assertThat(r.upAtNanos(0, 10_000 * MS)).isEqualTo(11_000 * MS); // the run of failures starts again
        for (int i = 0; i < 30; i++) {
            r.failed(1, 0, 0);
        }
        assertThat(r.upAtNanos(1, 0)).isEqualTo(RegionRoster.COOL_DOWN_MAX_MILLIS * MS);
    }

    @Test
    void retryAfterLongerThanTheCoolDownIsHonouredAndTheSoonestBackIsTriedFirstAmongFailedOnes() {
        RegionRoster r = roster();
        r.failed(0, 0, 5_000);
        r.failed(1, 0, 0);
        assertThat(r.upAtNanos(0, 0)).isEqualTo(5_000 * MS);
        assertThat(r.order(0)).containsExactly(2, 1, 0);
        r.failed(2, 0, 2_000);
        assertThat(r.order(0)).containsExactly(1, 2, 0);
    }

    @Test
    void aRegionIsNamedByItsUrlUntilAnAnswerNamesIt() {
        RegionRoster r = new RegionRoster(List.of(URI.create("http://127.0.0.1:7001")), List.of());
        assertThat(r.name(0)).isEqualTo("127.0.0.1:7001");
        r.named(0, "us-east");
        assertThat(r.name(0)).isEqualTo("us-east");
    }
}
