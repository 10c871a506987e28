package io.meridian.core.failure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PhiAccrualDetectorTest {
    private static final double THRESHOLD = 8;

    private static PhiAccrualDetector detector() {
        return new PhiAccrualDetector(100, 50, 0, 1_000);
    }

    @Test
    void nothingIsSuspectedBeforeTheFirstHeartbeat() {
        assertThat(detector().phi(1_000_000)).isZero();
    }

    @Test
    void regularHeartbeatsKeepSuspicionLowAndSilenceRaisesIt() {
        PhiAccrualDetector d = detector();
        long now = 0;
        for (int i = 0; i < 50; i++) {
            d.heartbeat(now);
            now += 1_000;
        }
        long last = now - 1_000;
        assertThat(d.phi(last + 900)).isLessThan(1);
        assertThat(d.isAvailable(last + 1_100, THRESHOLD)).isTrue();
        assertThat(d.phi(last + 5_000)).isGreaterThan(THRESHOLD);
        assertThat(d.phi(last + 2_000)).as("suspicion only grows with silence").isLessThan(d.phi(last + 3_000));
    }

    @Test
    void jitteryHeartbeatsMakeTheDetectorMorePatient() {
        PhiAccrualDetector steady = detector();
        PhiAccrualDetector jittery = detector();
        Random random = new Random(1);
        long a = 0;
        long b = 0;
        for (int i = 0; i < 100; i++) {
            steady.heartbeat(a);
            jittery.heartbeat(b);
            a += 1_000;
            b += 500 + random.nextInt(1_000);
        }
        long silence = 2_500;
        assertThat(jittery.phi(b - 1 + silence)).isLessThan(steady.phi(a - 1_000 + silence));
    }

    @Test
    void anAcceptablePauseDelaysSuspicion() {
        PhiAccrualDetector strict = new PhiAccrualDetector(100, 50, 0, 1_000);
        PhiAccrualDetector lenient = new PhiAccrualDetector(100, 50, 3_000, 1_000);
        for (long t = 0; t <= 10_000; t += 1_000) {
            strict.heartbeat(t);
            lenient.heartbeat(t);
        }
        assertThat(strict.isAvailable(14_000, THRESHOLD)).isFalse();
        assertThat(lenient.isAvailable(14_000, THRESHOLD)).isTrue();
    }

    @Test
    void aHeartbeatResetsSuspicion() {
        PhiAccrualDetector d = detector();
        for (long t = 0; t <= 10_000; t += 1_000) {
            d.heartbeat(t);
        }
        assertThat(d.isAvailable(20_000, THRESHOLD)).isFalse();
        d.heartbeat(20_000);
        assertThat(d.isAvailable(20_500, THRESHOLD)).isTrue();
    }

    @Test
    void anOutageDoesNotMakeTheDetectorSlowToSuspectTheNextOne() {
        PhiAccrualDetector capped = new PhiAccrualDetector(100, 50, 0, 1_000, 3_000);
        PhiAccrualDetector uncapped = new PhiAccrualDetector(100, 50, 0, 1_000);
        long t = 0;
        for (int i = 0; i < 50; i++) {
            t += 1_000;
            capped.heartbeat(t);
            uncapped.heartbeat(t);
        }
        t += 20_000; // an outage, then the peer answers again
        for (int i = 0; i < 10; i++) {
            t += 1_000;
            capped.heartbeat(t);
            uncapped.heartbeat(t);
        }
        assertThat(capped.phi(t + 2_000)).as("two missed heartbeats after a regular history").isGreaterThan(8);
        assertThat(uncapped.phi(t + 2_000)).as("the outage recorded as an interval dulls the detector").isLessThan(1);
    }
}
