package io.meridian.lab;

import io.meridian.client.MeridianClient;
import io.meridian.core.config.KeyspaceConfig;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Sequential writes to one keyspace from each region of a running lab: the latency a client sees,
 * with the keyspace's RPO budget (if any) and the round trip to the nearest other region (what a
 * write that waits for another region's copy cannot beat). Compare runs of labs started with and
 * without {@code --rpo-budget}.
 */
public final class WriteLatencyBench {
    private WriteLatencyBench() {
    }

    public static void run(Lab lab, String keyspace, int writes, PrintStream out) {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        KeyspaceConfig k = lab.config().keyspace(keyspace).orElseThrow(() -> new LabException("no keyspace '" + keyspace
                + "' in the lab; its keyspaces: " + lab.config().keyspaces().stream().map(KeyspaceConfig::name).toList()));
        out.printf("sequential writes to '%s' (%s, rpo-budget %s), %d per region after %d unmeasured%n", keyspace, k.policy().name(),
                k.rpoBudget().map(b -> b.budgetMillis() + " ms, " + b.onExceeded().configName()).orElse("none"), writes, writes / 4);
        out.printf("%-13s %8s %8s %8s %8s %14s%n", "from", "p50 ms", "p90 ms", "p99 ms", "max ms", "nearest RTT ms");
        List<String> regions = state.regions().stream().map(LabState.RegionProcess::name).toList();
        for (LabState.RegionProcess r : state.regions()) {
            double nearest = regions.stream().filter(o -> !o.equals(r.name()))
                    .mapToDouble(o -> 2 * LabTopology.oneWayMillis(r.name(), o) * state.latencyScale()).min().orElse(0);
            Histogram h = new Histogram(3);
            try (MeridianClient c = MeridianClient.connect(r.url(), Duration.ofSeconds(30), lab.tls().orElse(null))) {
                for (int i = 0; i < writes + writes / 4; i++) {
                    long start = System.nanoTime();
                    // Home-region keys are created in the writing region (their home): no forwarding.
                    c.put(keyspace, "latency-" + r.name() + "-" + (i % 100), "v" + i);
                    if (i >= writes / 4) {
                        h.recordValue((System.nanoTime() - start) / 1_000);
                    }
                }
            }
            out.printf("%-13s %8.1f %8.1f %8.1f %8.1f %14.1f%n", r.name(), h.getValueAtPercentile(50) / 1000.0,
                    h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, nearest);
        }
    }
}
