package io.meridian.core.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.meridian.core.api.CostView;
import io.meridian.core.config.CostConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CostReportTest {
    private static final List<String> REGIONS = List.of("us-east", "eu-west", "ap-southeast");
    private static final CostConfig PRICES = new CostConfig("USD", 0.02, List.of(new CostConfig.Price("ap-southeast", Optional.empty(), 0.09)));

    private static WanMeter meter(String region) {
        return new WanMeter(region, new java.util.HashSet<>(REGIONS.stream().filter(r -> !r.equals(region)).toList()), 0);
    }

    private static CostView.Pair pair(CostView view, String from, String to) {
        return view.pairs().stream().filter(p -> p.from().equals(from) && p.to().equals(to)).findFirst().orElseThrow();
    }

    private static CostView.Keyspace keyspace(CostView view, String name) {
        return view.keyspaces().stream().filter(k -> k.keyspace().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aPairsBytesAreWhatTheSenderCountedPlusWhatTheReceiverCountedEachOnce() {
        WanMeter us = meter("us-east");
        WanMeter eu = meter("eu-west");
        // eu-west dialled us-east for replication (eu-west counts it): us-east's batches are eu-west's received bytes.
        eu.count("us-east", Transport.REPLICATION, 1_000, 90_000);
        eu.weigh("us-east", Transport.REPLICATION, "sessions", 60);
        eu.weigh("us-east", Transport.REPLICATION, "profiles", 20);
        // us-east accepted eu-west's forwarded requests (us-east counts them): its answers are us-east's sent bytes.
        us.count("eu-west", Transport.HTTP, 10_000, 30_000);
        us.weigh("eu-west", Transport.HTTP, "catalog", 40_000);
        // Bytes named after this region or a region not configured are not WAN traffic.
        us.count("us-east", Transport.HTTP, 5, 5);
        us.count("mars", Transport.HTTP, 5, 5);

        Map<String, CostReport.Reading> readings = new LinkedHashMap<>();
        readings.put("us-east", new CostReport.Reading(us.read(100_000), WanCounters.empty("us-east", 0)));
        readings.put("eu-west", new CostReport.Reading(eu.read(100_000), WanCounters.empty("eu-west", 0)));
        readings.put("ap-southeast", new CostReport.Reading(meter("ap-southeast").read(100_000), WanCounters.empty("ap-southeast", 0)));
        CostView view = CostReport.compute(REGIONS, readings, Map.of(), PRICES, 100_000);

        CostView.Pair out = pair(view, "us-east", "eu-west");
        assertThat(out.bytes()).isEqualTo(100_000); // 90,000 received by eu-west + 10,000 sent by us-east
        assertThat(out.bytesByTransport()).containsEntry("replication", 90_000L).containsEntry("http", 10_000L);
        assertThat(out.windowS()).isEqualTo(100.0);
        assertThat(out.bytesPerS()).isCloseTo(1_000.0, within(1e-9));
        assertThat(out.monthly()).isCloseTo(1_000.0 * 30 * 86_400 / 1e9 * 0.02, within(1e-12));
        assertThat(out.complete()).isTrue();
        CostView.Pair back = pair(view, "eu-west", "us-east");
        assertThat(back.bytes()).isEqualTo(31_000); // 1,000 sent by eu-west + 30,000 received by us-east
        assertThat(pair(view, "us-east", "ap-southeast").bytes()).isZero();

        // us-east -> eu-west: replication's 900 B/s shared 3:1 by weight, http's 100 B/s all catalog's.
        assertThat(keyspace(view, "sessions").byPair().get("us-east>eu-west")).isCloseTo(CostReport.monthly(675, 0.02), within(1e-12));
        assertThat(keyspace(view, "profiles").bytesPerS()).isCloseTo(225 + 2.5, within(1e-9)); // and eu-west's 10 B/s of acks, 1:3
        assertThat(keyspace(view, "catalog").bytesPerS()).isCloseTo(100 + 300, within(1e-9));
        assertThat(view.keyspaces().stream().mapToDouble(CostView.Keyspace::bytesPerS).sum())
                .as("keyspaces share every byte of every pair").isCloseTo(view.pairs().stream().mapToDouble(CostView.Pair::bytesPerS).sum(),
                        within(1e-6));
        assertThat(view.monthly()).isCloseTo(view.pairs().stream().mapToDouble(CostView.Pair::monthly).sum(), within(1e-12));
    }

    @Test
    void ratesComeFromEachRegionsOwnWindowAndARestartedRegionCountsFromItsRestart() {
        WanMeter eu = meter("eu-west");
        eu.count("us-east", Transport.REPLICATION, 0, 50_000);
        WanHistory history = new WanHistory(Duration.ofSeconds(60));
        history.record(eu.read(10_000));
        eu.count("us-east", Transport.REPLICATION, 0, 30_000);
        history.record(eu.read(40_000));
        eu.count("us-east", Transport.REPLICATION, 0, 60_000);
        WanCounters now = eu.read(70_000);
        history.record(now);
        WanCounters baseline = history.baseline(now);
        assertThat(baseline.atMs()).as("the reading where the minute's window starts").isEqualTo(10_000);
        // A region that restarted (another start) at 60 s has counted 12,000 bytes in its 10 s.
        WanMeter us = new WanMeter("us-east", java.util.Set.of("eu-west", "ap-southeast"), 60_000);
        us.count("eu-west", Transport.HTTP, 12_000, 0);
        WanCounters usNow = us.read(70_000);
        Map<String, CostReport.Reading> readings = Map.of("eu-west", new CostReport.Reading(now, baseline),
                "us-east", new CostReport.Reading(usNow, history.baseline(usNow)));
        CostView view = CostReport.compute(REGIONS, readings, Map.of("ap-southeast", "no answer to us-east: none within a second"),
                PRICES, 70_000);
        CostView.Pair p = pair(view, "us-east", "eu-west");
        assertThat(p.bytes()).isEqualTo(152_000);
        assertThat(p.byTransport().get("replication")).isCloseTo(90_000 / 60.0, within(1e-9));
        assertThat(p.byTransport().get("http")).isCloseTo(12_000 / 10.0, within(1e-9));
        assertThat(p.windowS()).isEqualTo(60.0);
        assertThat(keyspace(view, CostReport.UNATTRIBUTED).bytesPerS()).as("nothing weighed: framing alone")
                .isCloseTo(1_500 + 1_200, within(1e-9));
        assertThat(pair(view, "ap-southeast", "us-east").complete()).isFalse();
        assertThat(pair(view, "ap-southeast", "us-east").perGb()).isEqualTo(0.09);
        assertThat(view.unavailable()).containsOnlyKeys("ap-southeast");
    }

    @Test
    void theHistoryKeepsOneReadingAtOrBeforeTheWindowsStartAndDropsOlderOnes() {
        WanMeter m = meter("us-east");
        WanHistory history = new WanHistory(Duration.ofSeconds(30));
        for (long t = 0; t <= 100_000; t += 10_000) {
            m.count("eu-west", Transport.HTTP, 1, 1);
            history.record(m.read(t));
        }
        WanCounters now = m.read(100_000);
        assertThat(history.baseline(now).atMs()).isEqualTo(70_000);
        assertThat(now.since(history.baseline(now)).flow("eu-west", "http").sent()).isEqualTo(3);
        WanCounters fresh = new WanMeter("us-east", java.util.Set.of("eu-west"), 95_000).read(100_000);
        assertThat(history.baseline(fresh).atMs()).as("another run: from its start").isEqualTo(95_000);
    }
}
