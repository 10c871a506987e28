package io.meridian.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReadinessTest {
    private static PeerHealth up(String region) {
        return PeerHealth.unknown(region, "127.0.0.1:1").onAnswer(10, 1_000);
    }

    private static PeerHealth down(String region) {
        return PeerHealth.unknown(region, "127.0.0.1:1").onFailure("connection refused");
    }

    @Test
    void aNodeReachingEveryPeerIsReady() {
        Readiness r = Readiness.evaluate(Optional.empty(), List.of(up("b"), up("c")));
        assertThat(r.status()).isEqualTo(Readiness.Status.READY);
        assertThat(r.reasons()).isEmpty();
    }

    @Test
    void oneDeadPeerOfThreeRegionsLeavesTheNodeDegradedButServing() {
        Readiness r = Readiness.evaluate(Optional.empty(), List.of(up("b"), down("c")));
        assertThat(r.status()).isEqualTo(Readiness.Status.DEGRADED);
        assertThat(r.status().serving()).isTrue();
        assertThat(r.reasons()).containsExactly("peer c at 127.0.0.1:1 is unreachable: connection refused");
    }

    @Test
    void aNodeCutOffFromTheMajorityIsNotReady() {
        Readiness r = Readiness.evaluate(Optional.empty(), List.of(down("b"), down("c")));
        assertThat(r.status()).isEqualTo(Readiness.Status.NOT_READY);
        assertThat(r.reasons()).last().asString().isEqualTo("reaches 0 of 2 peers; a majority of 2 of 3 regions is needed");
    }

    @Test
    void storageThatCannotWriteIsNotReadyWhateverThePeers() {
        Readiness r = Readiness.evaluate(Optional.of("disk full"), List.of(up("b")));
        assertThat(r.status()).isEqualTo(Readiness.Status.NOT_READY);
        assertThat(r.reasons()).containsExactly("storage is not writable: disk full");
    }

    @Test
    void aSingleRegionNeedsNoPeers() {
        assertThat(Readiness.evaluate(Optional.empty(), List.of()).status()).isEqualTo(Readiness.Status.READY);
    }

    @Test
    void roundTripStatisticsTrackLastMinimumAndAverage() {
        PeerHealth p = PeerHealth.unknown("b", "x").onAnswer(10, 1).onAnswer(20, 2).onFailure("timeout");
        assertThat(p.reachable()).isFalse();
        assertThat(p.lastRttMillis()).isEqualTo(20);
        assertThat(p.minRttMillis()).isEqualTo(10);
        assertThat(p.avgRttMillis()).isEqualTo(12.0);
        assertThat(p.lastSeenMillis()).isEqualTo(2);
        assertThat(p.probes()).isEqualTo(3);
        assertThat(p.failures()).isEqualTo(1);
        assertThat(p.lastError()).contains("timeout");
    }
}
