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

    @Test
    void anElectionNeedsAMajorityOfTheGroupSuspectingTheLeaderPeersCountedFromWhatTheySaid() {
        List<String> order = List.of("eu-west", "ap-southeast", "us-east");
        java.util.Set<String> none = java.util.Set.of();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("us-east", java.util.Set.of("eu-west"))))
                .as("us-east said it suspects the leader too: two of three").isTrue();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("us-east", none)))
                .as("us-east still hears the leader").isFalse();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of()))
                .as("cut off: it hears no one").isFalse();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("eu-west", java.util.Set.of("eu-west"))))
                .as("the leader's own word does not count").isFalse();

        List<String> five = List.of("a", "b", "c", "d", "e");
        assertThat(ControlPlacement.majorityAgrees(five, "a", "b", java.util.Map.of("c", java.util.Set.of("a")))).isFalse();
        assertThat(ControlPlacement.majorityAgrees(five, "a", "b", java.util.Map.of("c", java.util.Set.of("a"), "e", java.util.Set.of("a", "d"))))
                .isTrue();
    }

    @Test
    void theFirstFPlusOneShareTheTopPrioritySoTheCampaignerWaitsForNoOne() {
        assertThat(java.util.stream.IntStream.range(0, 3).map(i -> ControlPlacement.priority(i, 3)).boxed().toList())
                .containsExactly(2, 2, 1);
        assertThat(java.util.stream.IntStream.range(0, 5).map(i -> ControlPlacement.priority(i, 5)).boxed().toList())
                .containsExactly(3, 3, 3, 2, 1);
        assertThat(ControlPlacement.priority(0, 1)).isEqualTo(1);
        assertThat(java.util.stream.IntStream.range(0, 2).map(i -> ControlPlacement.priority(i, 2)).boxed().toList())
                .containsExactly(2, 1);

        // Whoever leads and fails, the campaigner (the first survivor not suspected) has the top priority, so
        // no member it must wait for is above it: with f failures, at least one of the first f + 1 survives.
        for (int size = 1; size <= 7; size++) {
            List<String> order = java.util.stream.IntStream.range(0, size).mapToObj(i -> "r" + i).toList();
            int f = (size - 1) / 2;
            for (int leader = 0; leader < size; leader++) {
                for (int other = 0; other < size; other++) {
                    java.util.Set<String> suspects = new java.util.HashSet<>(List.of(order.get(leader), order.get(other)));
                    if (suspects.size() > f) {
                        continue;
                    }
                    java.util.Optional<String> c = ControlPlacement.campaigner(order, order.get(leader), suspects);
                    if (c.isPresent()) {
                        assertThat(ControlPlacement.priority(order.indexOf(c.get()), size)).as("size %d", size)
                                .isEqualTo(ControlPlacement.priority(0, size));
                    }
                }
            }
        }
    }
}
