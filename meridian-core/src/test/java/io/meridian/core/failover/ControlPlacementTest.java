package io.meridian.core.failover;

import io.meridian.core.Policy;
import io.meridian.core.config.KeyspaceConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ControlPlacementTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");

    private static KeyspaceConfig keyspace(String name, Policy policy) {
        return new KeyspaceConfig(name, policy, List.of(), 1 << 20, List.of());
    }

    @Test
    void theRegionOwningFewestKeyspacesLeadsTiesInConfigurationOrder() {
        List<KeyspaceConfig> keyspaces = List.of(
                keyspace("catalog", new Policy.Primary("us-east")),
                keyspace("accounts", new Policy.Strong(Policy.SyncMode.QUORUM, List.of("us-east", "eu-west"))),
                keyspace("profiles", new Policy.HomeRegion()),
                keyspace("cache", new Policy.Local()));

        assertThat(ControlPlacement.order(REGIONS, keyspaces)).containsExactly("eu-west", "ap-southeast", "us-east");
    }

    @Test
    void onlyTheFirstPreferredLeaderOfAStrongKeyspaceCounts() {
        List<KeyspaceConfig> keyspaces = List.of(
                keyspace("orders", new Policy.Primary("eu-west")),
                keyspace("accounts", new Policy.Strong(Policy.SyncMode.QUORUM, List.of("ap-southeast", "eu-west"))),
                keyspace("stock", new Policy.Strong(Policy.SyncMode.QUORUM, List.of("ap-southeast"))));

        assertThat(ControlPlacement.order(REGIONS, keyspaces)).containsExactly("us-east", "eu-west", "ap-southeast");
    }

    @Test
    void withNothingOwnedTheConfigurationOrderStands() {
        assertThat(ControlPlacement.order(REGIONS, List.of(keyspace("profiles", new Policy.HomeRegion()))))
                .isEqualTo(REGIONS);
    }

    @Test
    void theHighestPrioritySurvivorThatIsNotSuspectedCampaigns() {
        List<String> order = List.of("eu-west", "ap-southeast", "us-east");
        assertThat(ControlPlacement.majorityInSight(order, java.util.Set.of("eu-west"))).as("two of three in sight").isTrue();
        assertThat(ControlPlacement.majorityInSight(order, java.util.Set.of("eu-west", "ap-southeast")))
                .as("cut off: only itself in sight").isFalse();

        assertThat(ControlPlacement.campaigner(order, "eu-west", java.util.Set.of("eu-west"))).contains("ap-southeast");
        assertThat(ControlPlacement.campaigner(order, "ap-southeast", java.util.Set.of("ap-southeast"))).contains("eu-west");
        // A survivor that is itself suspected (cut off too) is passed over, so the next one does not wait for it.
        assertThat(ControlPlacement.campaigner(order, "eu-west", java.util.Set.of("eu-west", "ap-southeast"))).contains("us-east");
        assertThat(ControlPlacement.campaigner(List.of("eu-west", "us-east"), "eu-west", java.util.Set.of("eu-west", "us-east")))
                .isEmpty();
    }
}
