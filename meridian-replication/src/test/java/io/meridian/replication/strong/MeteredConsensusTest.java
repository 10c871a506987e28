package io.meridian.replication.strong;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.cost.WanMeter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftPeerId;
import org.junit.jupiter.api.Test;

class MeteredConsensusTest {
    private final MeteredConsensus metered = new MeteredConsensus(new WanMeter("us-east", Set.of("eu-west", "ap-southeast"), 0),
            List.of("us-east", "eu-west", "ap-southeast"), Map.of());

    @Test
    void aRaftMessageNamesItsRegionByPeerIdOrByTheClientIdItsRegionMade() {
        assertThat(metered.regionOf(RaftPeerId.valueOf("eu-west").toByteString())).isEqualTo("eu-west");
        ClientId a = MeteredConsensus.clientId("ap-southeast");
        ClientId b = MeteredConsensus.clientId("ap-southeast");
        assertThat(a).as("unique: a server's retry cache keys on client ids").isNotEqualTo(b);
        assertThat(metered.regionOf(a.toByteString())).isEqualTo("ap-southeast");
        assertThat(metered.regionOf(b.toByteString())).isEqualTo("ap-southeast");
        assertThat(metered.regionOf(MeteredConsensus.clientId("mars").toByteString())).isNull();
        assertThat(metered.regionOf(ClientId.randomId().toByteString())).isNull();
        assertThat(metered.regionOf(RaftPeerId.valueOf("mars").toByteString())).isNull();
        metered.close();
    }
}
