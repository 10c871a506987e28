package io.meridian.lab;

import static org.assertj.core.api.Assertions.assertThat;

import io.meridian.core.config.ConfigLoader;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.config.RpoBudget;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The lab's configuration is one a node accepts, with and without options. */
class LabTopologyTest {
    private static MeridianConfig parse(LabTopology.Setup setup) {
        return ConfigLoader.parse("lab.yaml", LabTopology.configYaml(
                LabTopology.Ports.of(LabTopology.Ports.fromBase(7001)), setup));
    }

    @Test
    void theDefaultLabDeclaresEveryPolicy() {
        MeridianConfig config = parse(LabTopology.Setup.DEFAULT);
        assertThat(config.keyspaces()).extracting(KeyspaceConfig::name)
                .contains("cache", "catalog", "profiles", "sessions", "accounts", "likes", "orders");
        assertThat(config.keyspaces()).allMatch(k -> k.rpoBudget().isEmpty());
    }

    @Test
    void anRpoBudgetGoesToTheKeyValueKeyspacesReplicatedAsynchronously() {
        MeridianConfig config = parse(LabTopology.Setup.DEFAULT.withRpoBudget("250ms", "refuse"));
        RpoBudget budget = new RpoBudget(Duration.ofMillis(250), RpoBudget.OnExceeded.REFUSE);
        for (String name : new String[] {"catalog", "profiles", "sessions"}) {
            assertThat(config.keyspace(name).orElseThrow().rpoBudget()).as(name).contains(budget);
        }
        assertThat(config.keyspace("likes").orElseThrow().rpoBudget()).isEmpty();
        assertThat(parse(LabTopology.Setup.DEFAULT.withRpoBudget("0", null)).keyspace("catalog").orElseThrow().rpoBudget())
                .contains(new RpoBudget(Duration.ZERO, RpoBudget.OnExceeded.WAIT));
    }

    @Test
    void withTlsTheNodesReadTheLabsCertificatesBesideTheConfiguration() {
        assertThat(parse(LabTopology.Setup.DEFAULT).tls()).isEmpty();
        MeridianConfig config = parse(LabTopology.Setup.DEFAULT.withTls(true).withCanary(0L));
        assertThat(config.tls()).contains(new MeridianConfig.Tls(java.nio.file.Path.of(LabTopology.CERTS_DIR)));
        assertThat(config.resolvedAgainst(java.nio.file.Path.of("/lab")).tls().orElseThrow().dir())
                .isEqualTo(java.nio.file.Path.of("/lab", LabTopology.CERTS_DIR));
        assertThat(config.canaries().enabled()).as("other options kept").isFalse();
    }

    @Test
    void withNamespacesEachRegionListensOnItsOwnAddressAndItsLinksLeaveByItsVeth() {
        LabNetwork network = LabNetwork.plan(java.nio.file.Path.of("/lab"), java.util.List.of("us-east", "eu-west", "ap-southeast"), "");
        MeridianConfig config = ConfigLoader.parse("lab.yaml", LabTopology.configYaml(
                LabTopology.Ports.of(LabTopology.Ports.fromBase(7001)), LabTopology.Setup.DEFAULT.withNetns(true), network));
        for (LabNetwork.Host h : network.hosts()) {
            var region = config.region(h.region()).orElseThrow();
            assertThat(region.http().host()).isEqualTo(h.address());
            assertThat(region.replication().orElseThrow().host()).isEqualTo(h.address());
            assertThat(region.consensus().orElseThrow().host()).isEqualTo(h.address());
            assertThat(config.links()).filteredOn(l -> l.from().equals(h.region())).hasSize(2).allSatisfy(l -> {
                assertThat(l.via().host()).isEqualTo(h.hostAddress());
                assertThat(l.replicationVia().orElseThrow().host()).isEqualTo(h.hostAddress());
                assertThat(l.consensusVia().orElseThrow().host()).isEqualTo(h.hostAddress());
            });
        }
        assertThat(config.wan().orElseThrow().control().host()).as("the emulator's control API stays on the host").isEqualTo("127.0.0.1");
    }
}
