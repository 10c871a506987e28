package io.meridian.core.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UpstreamHealthTest {
    @Test
    void oneFailedCheckIsABlipTwoAreAnOutageAndTwoPassedBringItBack() {
        UpstreamHealth h = new UpstreamHealth();
        assertThat(h.available(0)).isTrue();
        h.checked(false, "refused", 0);
        assertThat(h.available(0)).as("one failed check: a blip").isTrue();
        h.checked(true, "", 1);
        h.checked(false, "refused", 2);
        assertThat(h.available(2)).isTrue();
        h.checked(false, "refused", 3);
        assertThat(h.available(3)).isFalse();
        assertThat(h.lastProblem()).isEqualTo("refused");
        h.checked(true, "", 4);
        assertThat(h.available(4)).isFalse();
        h.checked(true, "", 5);
        assertThat(h.available(5)).isTrue();
    }

    @Test
    void failedRequestsInARowEjectForLongerEachTime() {
        UpstreamHealth h = new UpstreamHealth();
        h.served(true, "502", 0);
        h.served(true, "502", 1);
        h.served(false, "", 2); // a success breaks the run
        h.served(true, "502", 3);
        h.served(true, "502", 4);
        assertThat(h.available(4)).isTrue();
        h.served(true, "502", 5);
        assertThat(h.available(5)).isFalse();
        assertThat(h.available(5 + UpstreamHealth.EJECTION_MILLIS)).isTrue();
        for (int i = 0; i < UpstreamHealth.EJECT_AFTER; i++) {
            h.served(true, "refused", 10_000);
        }
        assertThat(h.ejections()).isEqualTo(2);
        assertThat(h.available(10_000 + 2 * UpstreamHealth.EJECTION_MILLIS - 1)).isFalse();
        assertThat(h.available(10_000 + 2 * UpstreamHealth.EJECTION_MILLIS)).isTrue();
    }
}
