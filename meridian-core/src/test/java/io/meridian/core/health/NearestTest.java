package io.meridian.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NearestTest {
    private static PeerHealth heard(String region, double... rtts) {
        PeerHealth h = PeerHealth.unknown(region, "127.0.0.1:1");
        for (double rtt : rtts) {
            h = h.onAnswer(rtt, 1_000);
        }
        return h;
    }

    @Test
    void theReachableCandidateWithTheLowestAverageRoundTrip() {
        List<PeerHealth> peers = List.of(heard("eu-west", 80, 80), heard("eu-north", 30, 40), heard("ap-southeast", 5));
        assertThat(Nearest.of(List.of("eu-west", "eu-north"), "us-east", peers)).isEqualTo("eu-north");
    }

    @Test
    void thisRegionWhenItIsACandidate() {
        assertThat(Nearest.of(List.of("eu-west", "us-east"), "us-east", List.of(heard("eu-west", 1)))).isEqualTo("us-east");
    }

    @Test
    void theFirstCandidateWhenNoneWasHeardFrom() {
        List<PeerHealth> peers = List.of(PeerHealth.unknown("eu-north", "127.0.0.1:1"), heard("ap-southeast", 5));
        assertThat(Nearest.of(List.of("eu-west", "eu-north"), "us-east", peers)).isEqualTo("eu-west");
        assertThatThrownBy(() -> Nearest.of(List.of(), "us-east", peers)).isInstanceOf(IllegalArgumentException.class);
    }
}
