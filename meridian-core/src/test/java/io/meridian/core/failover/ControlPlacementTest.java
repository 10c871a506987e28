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

    private static PeerWord word(java.util.Set<String> suspects, long term, long index) {
        return new PeerWord(suspects, java.util.Map.of("_control", new PeerWord.LogPosition(term, index)));
    }

    private static java.util.Optional<PeerWord.LogPosition> at(long term, long index) {
        return java.util.Optional.of(new PeerWord.LogPosition(term, index));
    }

    @Test
    void theAgreeingSurvivorWithTheLongestLogCampaignsTiesToTheHigherPriority() {
        List<String> order = List.of("eu-west", "ap-southeast", "us-east");
        java.util.Set<String> leaderGone = java.util.Set.of("eu-west");
        assertThat(ControlPlacement.majorityInSight(order, java.util.Set.of("eu-west"))).as("two of three in sight").isTrue();
        assertThat(ControlPlacement.majorityInSight(order, java.util.Set.of("eu-west", "ap-southeast")))
                .as("cut off: only itself in sight").isFalse();

        // As long: the first in the order (the higher priority) campaigns, as both see it.
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "ap-southeast",
                java.util.Map.of("us-east", word(leaderGone, 1, 352)), at(1, 352))).contains("ap-southeast");
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "us-east",
                java.util.Map.of("ap-southeast", word(leaderGone, 1, 352)), at(1, 352))).contains("ap-southeast");
        // One entry fewer: the other one campaigns (the drill where the first one's election was refused).
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "ap-southeast",
                java.util.Map.of("us-east", word(leaderGone, 1, 352)), at(1, 351))).contains("us-east");
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "us-east",
                java.util.Map.of("ap-southeast", word(leaderGone, 1, 351)), at(1, 352))).contains("us-east");
        // A later term wins over a longer log.
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "us-east",
                java.util.Map.of("ap-southeast", word(leaderGone, 2, 300)), at(1, 352))).contains("ap-southeast");
        // A peer that does not suspect the leader is no candidate; one whose log is unknown ranks last.
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "us-east",
                java.util.Map.of("ap-southeast", word(java.util.Set.of(), 9, 999)), at(1, 352))).contains("us-east");
        assertThat(ControlPlacement.campaigner(order, "_control", "eu-west", "us-east",
                java.util.Map.of("ap-southeast", new PeerWord(leaderGone, java.util.Map.of())), at(1, 352))).contains("us-east");
    }

    @Test
    void aPeerWordSurvivesItsHeadersAndMalformedLogEntriesAreLeftOut() {
        PeerWord w = new PeerWord(java.util.Set.of("us-east", "eu-west"),
                java.util.Map.of("_control", new PeerWord.LogPosition(3, 412), "accounts", new PeerWord.LogPosition(1, 29)));
        assertThat(w.suspectsHeader()).isEqualTo("eu-west,us-east");
        assertThat(w.logsHeader()).isEqualTo("_control=3:412,accounts=1:29");
        assertThat(PeerWord.parse(w.suspectsHeader(), w.logsHeader())).isEqualTo(w);
        assertThat(PeerWord.parse("", "_control=x:1,accounts=1:29,junk")).isEqualTo(
                new PeerWord(java.util.Set.of(), java.util.Map.of("accounts", new PeerWord.LogPosition(1, 29))));
        assertThat(PeerWord.parse(null, null)).isEqualTo(PeerWord.NOTHING);
    }

    @Test
    void anElectionNeedsAMajorityOfTheGroupSuspectingTheLeaderPeersCountedFromWhatTheySaid() {
        List<String> order = List.of("eu-west", "ap-southeast", "us-east");
        java.util.Set<String> none = java.util.Set.of();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("us-east", new PeerWord(java.util.Set.of("eu-west"), java.util.Map.of()))))
                .as("us-east said it suspects the leader too: two of three").isTrue();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("us-east", new PeerWord(none, java.util.Map.of()))))
                .as("us-east still hears the leader").isFalse();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of()))
                .as("cut off: it hears no one").isFalse();
        assertThat(ControlPlacement.majorityAgrees(order, "eu-west", "ap-southeast", java.util.Map.of("eu-west", new PeerWord(java.util.Set.of("eu-west"), java.util.Map.of()))))
                .as("the leader's own word does not count").isFalse();

        List<String> five = List.of("a", "b", "c", "d", "e");
        assertThat(ControlPlacement.majorityAgrees(five, "a", "b", java.util.Map.of("c", new PeerWord(java.util.Set.of("a"), java.util.Map.of())))).isFalse();
        assertThat(ControlPlacement.majorityAgrees(five, "a", "b", java.util.Map.of("c", new PeerWord(java.util.Set.of("a"), java.util.Map.of()), "e", new PeerWord(java.util.Set.of("a", "d"), java.util.Map.of()))))
                .isTrue();
    }

    @Test
    void theFirstFPlusOneShareTheTopPriority() {
        assertThat(java.util.stream.IntStream.range(0, 3).map(i -> ControlPlacement.priority(i, 3)).boxed().toList())
                .containsExactly(2, 2, 1);
        assertThat(java.util.stream.IntStream.range(0, 5).map(i -> ControlPlacement.priority(i, 5)).boxed().toList())
                .containsExactly(3, 3, 3, 2, 1);
        assertThat(ControlPlacement.priority(0, 1)).isEqualTo(1);
        assertThat(java.util.stream.IntStream.range(0, 2).map(i -> ControlPlacement.priority(i, 2)).boxed().toList())
                .containsExactly(2, 1);
    }

    /** A symmetric round-trip matrix from pairs {@code a, b, ms, ...}. */
    private static java.util.Map<String, java.util.Map<String, Long>> trips(Object... pairs) {
        java.util.Map<String, java.util.Map<String, Long>> m = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 3) {
            long ms = ((Number) pairs[i + 2]).longValue();
            m.computeIfAbsent((String) pairs[i], k -> new java.util.HashMap<>()).put((String) pairs[i + 1], ms);
            m.computeIfAbsent((String) pairs[i + 1], k -> new java.util.HashMap<>()).put((String) pairs[i], ms);
        }
        return m;
    }

    @Test
    void theControlLeadershipGoesWhereItsLossLeavesTheClosestMajority() {
        List<String> order = List.of("eu-west", "ap-southeast", "us-east"); // the lab's: us-east owns the most
        var lab = trips("us-east", "eu-west", 70, "us-east", "ap-southeast", 216, "eu-west", "ap-southeast", 176);
        assertThat(ControlPlacement.successionMillis(order, lab, "eu-west")).hasValue(216);
        assertThat(ControlPlacement.successionMillis(order, lab, "ap-southeast")).hasValue(70);

        assertThat(ControlPlacement.preferredLeader(order, lab, "eu-west")).hasValueSatisfying(p -> {
            assertThat(p.region()).isEqualTo("ap-southeast");
            assertThat(p.why()).isEqualTo("losing ap-southeast leaves a majority 70 ms apart, losing eu-west one 216 ms apart");
        });
        assertThat(ControlPlacement.preferredLeader(order, lab, "ap-southeast")).as("already there").isEmpty();
        assertThat(ControlPlacement.preferredLeader(order, lab, "us-east"))
                .as("below the top priority: Ratis hands it to a top region itself").isEmpty();
        assertThat(ControlPlacement.preferredLeader(order,
                trips("us-east", "eu-west", 70, "us-east", "ap-southeast", 85, "eu-west", "ap-southeast", 176), "eu-west"))
                .as("15 ms better is not worth a move").isEmpty();
        assertThat(ControlPlacement.preferredLeader(order, trips("us-east", "eu-west", 70, "eu-west", "ap-southeast", 176), "eu-west"))
                .as("a round trip never measured").isEmpty();
        assertThat(ControlPlacement.preferredLeader(List.of("a", "b"), trips("a", "b", 5), "b")).isEmpty();
    }

    @Test
    void withFiveRegionsTheSuccessorNeedsTwoOthersAndTheBestPlacedOneCounts() {
        List<String> five = List.of("a", "b", "c", "d", "e");
        // On a line, 10 ms apart one way: the round trip is twice the distance.
        java.util.List<Object> pairs = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            for (int j = i + 1; j < 5; j++) {
                pairs.addAll(List.of(five.get(i), five.get(j), 20L * (j - i)));
            }
        }
        var line = trips(pairs.toArray());
        assertThat(ControlPlacement.successionMillis(five, line, "a")).as("c hears b and d within 20 ms").hasValue(20);
        assertThat(ControlPlacement.successionMillis(five, line, "c")).as("b or d needs a neighbour and one 40 ms away").hasValue(40);
        assertThat(ControlPlacement.preferredLeader(five, line, "c")).map(ControlPlacement.Preference::region).contains("a");
    }
}
