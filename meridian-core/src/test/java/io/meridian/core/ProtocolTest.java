package io.meridian.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProtocolTest {
    @Test
    void peersWithinTheRangeWorkTogetherAndABuildWithoutTheHeaderSpeaksProtocolOne() {
        assertThat(Protocol.incompatibility("eu-west", String.valueOf(Protocol.CURRENT))).isEmpty();
        assertThat(Protocol.incompatibility("eu-west", null, 1, 2)).isEmpty();
        assertThat(Protocol.incompatibility("eu-west", " 2 ", 1, 2)).isEmpty();
    }

    @Test
    void aPeerOutsideTheRangeIsRefusedSayingWhichVersionsCanMix() {
        assertThat(Protocol.incompatibility("eu-west", "3", 1, 2)).hasValueSatisfying(m -> assertThat(m)
                .contains("region eu-west speaks protocol 3; this node speaks protocols 1 to 2")
                .contains("Upgrade this node to a version that speaks protocol 3"));
        assertThat(Protocol.incompatibility("eu-west", null, 2, 3)).hasValueSatisfying(m -> assertThat(m)
                .contains("speaks protocol 1; this node speaks protocols 2 to 3")
                .contains("Upgrade eu-west first"));
        assertThat(Protocol.incompatibility("eu-west", "x", 1, 1)).hasValueSatisfying(m -> assertThat(m)
                .contains("names its protocol 'x'").contains("protocol 1 only"));
    }
}
