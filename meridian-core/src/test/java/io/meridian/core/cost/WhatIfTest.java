package io.meridian.core.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.meridian.core.MeridianException;
import io.meridian.core.Policy;
import io.meridian.core.ProblemType;
import io.meridian.core.api.WhatIfView;
import io.meridian.core.config.CostConfig;
import io.meridian.core.config.KeyspaceConfig;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WhatIfTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");
    private static final CostConfig PRICES = new CostConfig("USD", 0.02,
            List.of(new CostConfig.Price("ap-southeast", Optional.empty(), 0.09)));
    private static final KeyspaceConfig PROFILES = keyspace("profiles", new Policy.HomeRegion(), List.of());
    private static final Map<String, Map<String, Double>> RTT = Map.of(
            "us-east", Map.of("eu-west", 70.0, "ap-southeast", 176.0),
            "eu-west", Map.of("us-east", 70.0, "ap-southeast", 216.0),
            "ap-southeast", Map.of("us-east", 176.0, "eu-west", 216.0));

    private static KeyspaceConfig keyspace(String name, Policy policy, List<String> residency) {
        return new KeyspaceConfig(name, policy, residency, 1 << 20, List.of());
    }

    private static WanMeter meter(String region) {
        return new WanMeter(region, new HashSet<>(REGIONS.stream().filter(r -> !r.equals(region)).toList()), 0);
    }

    /**
     * 100 s of a home-region keyspace whose keys all live in us-east: eu-west forwards 10 writes/s
     * to us-east (100-byte bodies, 50-byte answers, 600 bytes of framing each; 85 ms: us-east's own
     * 10 ms, the 70 ms round trip and 5 ms of forwarding), us-east makes 5
     * writes/s of its own, ap-southeast serves 2 reads/s locally; every write reaches the two other
     * regions at 200 bytes each, and each region acknowledges it with 10 bytes.
     */
    private static Map<String, CostReport.Reading> homedInUsEast() {
        WanMeter us = meter("us-east");
        WanMeter eu = meter("eu-west");
        WanMeter ap = meter("ap-southeast");
        for (int i = 0; i < 1_000; i++) {
            eu.routed("profiles", WhatIf.WRITE, "us-east", "us-east", 100, 50, 85_000);
        }
        for (int i = 0; i < 500; i++) {
            us.routed("profiles", WhatIf.WRITE, "us-east", "us-east", 100, 50, 10_000);
        }
        for (int i = 0; i < 200; i++) {
            ap.routed("profiles", WhatIf.READ, "us-east", "ap-southeast", 0, 100, 2_000);
        }
        us.routed("sessions", WhatIf.WRITE, "", "us-east", 100, 50, 1_000); // another keyspace's: not in the estimate
        // us-east accepted eu-west's forwards: their bodies and 600 bytes of framing each, 300 each way.
        us.count("eu-west", Transport.HTTP, 1_000 * (50 + 300), 1_000 * (100 + 300));
        us.weigh("eu-west", Transport.HTTP, "profiles", 1);
        // The receivers count replication: 1,500 writes at 200 bytes, acknowledged at 10 bytes each.
        eu.count("us-east", Transport.REPLICATION, 1_500 * 10, 1_500 * 200);
        eu.weigh("us-east", Transport.REPLICATION, "profiles", 1);
        ap.count("us-east", Transport.REPLICATION, 1_500 * 10, 1_500 * 200);
        ap.weigh("us-east", Transport.REPLICATION, "profiles", 1);
        Map<String, CostReport.Reading> readings = new LinkedHashMap<>();
        for (WanMeter m : List.of(us, eu, ap)) {
            readings.put(m.region(), new CostReport.Reading(m.read(100_000), WanCounters.empty(m.region(), 0)));
        }
        return readings;
    }

    private static WhatIfView.Region region(WhatIfView view, String name) {
        return view.regions().stream().filter(r -> r.region().equals(name)).findFirst().orElseThrow();
    }

    private static double month(double bytesPerS) {
        return CostReport.monthly(bytesPerS, 0.02);
    }

    @Test
    void movingAHomeSwapsWhichRegionForwardsAndWhichShipsAndTheModelsBeforeIsTheMeasuredCost() {
        WhatIfView view = WhatIf.compute(PROFILES, new WhatIf.Change.MoveHome("us-east", "eu-west"), REGIONS, homedInUsEast(),
                RTT, Map.of(), PRICES, 100_000);

        assertThat(view.windowS()).isEqualTo(100.0);
        // Now: eu-west's forwards (10/s x 400 out, 10/s x 350 back) and us-east shipping 15 writes/s to both others.
        assertThat(view.cost().beforeByPair()).containsOnlyKeys("eu-west>us-east", "us-east>eu-west", "us-east>ap-southeast",
                "ap-southeast>us-east");
        assertThat(view.cost().beforeByPair().get("eu-west>us-east")).isCloseTo(month(4_000 + 150), within(1e-9));
        assertThat(view.cost().beforeByPair().get("ap-southeast>us-east")).as("acknowledgements, at ap-southeast's price")
                .isCloseTo(CostReport.monthly(150, 0.09), within(1e-9));
        assertThat(view.cost().beforeByPair().get("us-east>eu-west")).isCloseTo(month(3_500 + 3_000), within(1e-9));
        assertThat(view.cost().beforeByPair().get("us-east>ap-southeast")).isCloseTo(month(3_000), within(1e-9));
        assertThat(view.cost().measuredMonthly()).as("the model, fed what was measured, gives back the measured cost")
                .isCloseTo(view.cost().beforeMonthly(), within(1e-9));
        // After: us-east forwards its 5 writes/s to eu-west, eu-west ships all 15/s.
        assertThat(view.cost().afterByPair()).containsOnlyKeys("us-east>eu-west", "eu-west>us-east", "eu-west>ap-southeast",
                "ap-southeast>eu-west");
        assertThat(view.cost().afterByPair().get("us-east>eu-west")).isCloseTo(month(5 * 400 + 150), within(1e-9));
        assertThat(view.cost().afterByPair().get("eu-west>us-east")).isCloseTo(month(5 * 350 + 3_000), within(1e-9));
        assertThat(view.cost().afterByPair().get("eu-west>ap-southeast")).isCloseTo(month(3_000), within(1e-9));
        assertThat(view.cost().beforeBytesPerS()).isCloseTo(13_800, within(1e-9));
        assertThat(view.cost().afterBytesPerS()).isCloseTo(10_050, within(1e-9));
        assertThat(view.cost().changeMonthly()).isCloseTo(view.cost().afterMonthly() - view.cost().beforeMonthly(), within(1e-12));

        // eu-west's writes lose their round trip to us-east and take what a local write takes (us-east's 10 ms: eu-west
        // served none itself); us-east's gain the round trip to eu-west and the forwarding; ap-southeast's reads stay.
        WhatIfView.Region eu = region(view, "eu-west");
        assertThat(eu.writesPerS()).isCloseTo(10, within(1e-9));
        assertThat(eu.writeMsBefore()).isCloseTo(85, within(1e-9));
        assertThat(eu.writeMsAfter()).isCloseTo(10, within(1e-9));
        assertThat(eu.forwardedBefore()).isEqualTo(1.0);
        assertThat(eu.forwardedAfter()).isEqualTo(0.0);
        WhatIfView.Region us = region(view, "us-east");
        assertThat(us.writeMsBefore()).isCloseTo(10, within(1e-9));
        assertThat(us.writeMsAfter()).isCloseTo(10 + 70 + 5, within(1e-9));
        assertThat(us.readMsBefore()).isNull();
        assertThat(us.forwardedAfter()).isEqualTo(1.0);
        WhatIfView.Region ap = region(view, "ap-southeast");
        assertThat(ap.readsPerS()).isCloseTo(2, within(1e-9));
        assertThat(ap.readMsAfter()).isCloseTo(ap.readMsBefore(), within(1e-9));
        assertThat(view.assumptions()).anySatisfy(a -> assertThat(a).contains("200 bytes"))
                .anySatisfy(a -> assertThat(a).contains("600 bytes of HTTP framing (measured"))
                .anySatisfy(a -> assertThat(a).contains("5.0 ms (writes)"));
    }

    @Test
    void aPrimaryInTheFarRegionShipsEveryWriteFromThereAtItsPrice() {
        WhatIfView view = WhatIf.compute(PROFILES, new WhatIf.Change.Primary("ap-southeast"), REGIONS, homedInUsEast(), RTT,
                Map.of(), PRICES, 100_000);

        // ap-southeast makes all 15 writes/s and ships them at its 0.09 per GB.
        assertThat(view.cost().afterByPair().get("ap-southeast>us-east"))
                .isCloseTo(CostReport.monthly(5 * 350 + 3_000, 0.09), within(1e-9));
        assertThat(view.cost().afterByPair().get("ap-southeast>eu-west"))
                .isCloseTo(CostReport.monthly(10 * 350 + 3_000, 0.09), within(1e-9));
        assertThat(region(view, "eu-west").writeMsAfter()).isCloseTo(10 + 216 + 5, within(1e-9));
        assertThat(region(view, "us-east").writeMsAfter()).isCloseTo(10 + 176 + 5, within(1e-9));
        assertThat(view.change()).contains("primary in ap-southeast");
    }

    @Test
    void aRoundTripNobodyMeasuredLeavesThatLatencyUnknownAndSaysSo() {
        Map<String, Map<String, Double>> partial = Map.of("eu-west", Map.of("us-east", 70.0));
        WhatIfView view = WhatIf.compute(PROFILES, new WhatIf.Change.MoveHome("us-east", "eu-west"), REGIONS, homedInUsEast(),
                partial, Map.of("ap-southeast", "no answer"), PRICES, 100_000);

        assertThat(region(view, "us-east").writeMsAfter()).isNull();
        assertThat(region(view, "eu-west").writeMsAfter()).isCloseTo(10, within(1e-9));
        assertThat(view.assumptions()).anySatisfy(a -> assertThat(a).contains("us-east>eu-west"));
        assertThat(view.unavailable()).containsKey("ap-southeast");
    }

    @Test
    void changesThatCannotApplyAreRefusedNamingWhy() {
        KeyspaceConfig accounts = keyspace("accounts", new Policy.Strong(Policy.SyncMode.QUORUM, List.of()), List.of());
        KeyspaceConfig sessions = keyspace("sessions", new Policy.MultiMaster("lww"), List.of());
        KeyspaceConfig euOnly = keyspace("gdpr", new Policy.HomeRegion(), List.of("eu-west", "us-east"));
        assertThatThrownBy(() -> WhatIf.check(accounts, new WhatIf.Change.Primary("us-east"), REGIONS))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.WRONG_POLICY))
                .hasMessageContaining("Raft leader");
        assertThatThrownBy(() -> WhatIf.check(sessions, new WhatIf.Change.MoveHome("us-east", "eu-west"), REGIONS))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.WRONG_POLICY))
                .hasMessageContaining("primary=REGION");
        assertThatThrownBy(() -> WhatIf.check(PROFILES, new WhatIf.Change.MoveHome("us-east", "mars"), REGIONS))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.UNKNOWN_REGION))
                .hasMessageContaining("mars");
        assertThatThrownBy(() -> WhatIf.check(PROFILES, new WhatIf.Change.MoveHome("us-east", "us-east"), REGIONS))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.INVALID_PARAMETER));
        assertThatThrownBy(() -> WhatIf.check(euOnly, new WhatIf.Change.Primary("ap-southeast"), REGIONS))
                .isInstanceOfSatisfying(MeridianException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.OUTSIDE_RESIDENCY));
        WhatIf.check(sessions, new WhatIf.Change.Primary("eu-west"), REGIONS); // multi-master to primary: modelled
    }

    @Test
    void aResidentKeyspaceShipsOnlyToItsRegions() {
        KeyspaceConfig euAndUs = keyspace("profiles", new Policy.HomeRegion(), List.of("us-east", "eu-west"));
        WhatIfView view = WhatIf.compute(euAndUs, new WhatIf.Change.MoveHome("us-east", "eu-west"), REGIONS, homedInUsEast(),
                RTT, Map.of(), PRICES, 100_000);
        assertThat(view.cost().afterByPair()).doesNotContainKey("eu-west>ap-southeast");
        assertThat(view.cost().beforeByPair()).doesNotContainKey("us-east>ap-southeast");
    }
}
