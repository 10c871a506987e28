package io.meridian.lab;

import io.meridian.client.MeridianClient;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Measures a strong keyspace on a running lab: write latency from each region against the
 * physical limit (the round trip to the leader plus the leader's round trip to its nearest
 * quorum member, from the emulated delays), throughput with 64 concurrent writers in the
 * leader's region, and the time from the death of the leader's region to the first new commit.
 */
public final class StrongBench {
    private static final int CONCURRENCY = 64;

    private StrongBench() {
    }

    public static void run(Lab lab, int writes, Duration throughputRun, boolean failover, PrintStream out) throws Exception {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        String keyspace = lab.keyspaceWhere(io.meridian.core.KeyspaceRules::consensus, "replicated by consensus (strong)");
        Map<String, MeridianClient> clients = new LinkedHashMap<>();
        state.regions().forEach(r -> clients.put(r.name(), MeridianClient.connect(r.url(), Duration.ofSeconds(30), lab.tls().orElse(null))));
        try {
            String leader = leader(clients.values().iterator().next(), keyspace);
            List<String> regions = state.regions().stream().map(LabState.RegionProcess::name).toList();
            double scale = state.latencyScale();
            double quorum = regions.stream().filter(r -> !r.equals(leader))
                    .mapToDouble(r -> 2 * LabTopology.oneWayMillis(leader, r) * scale).min().orElse(0);
            out.printf("leader of %s: %s; its nearest quorum round trip: %.1f ms%n", keyspace, leader, quorum);
            out.printf("%-13s %8s %8s %8s %10s %8s%n", "from", "p50 ms", "p99 ms", "max ms", "limit ms", "p50/limit");
            for (String region : regions) {
                double limit = (region.equals(leader) ? 0 : 2 * LabTopology.oneWayMillis(region, leader) * scale) + quorum;
                Histogram h = new Histogram(3);
                MeridianClient c = clients.get(region);
                for (int i = 0; i < writes + writes / 4; i++) {
                    long start = System.nanoTime();
                    c.put(keyspace, "bench-" + region + "-" + (i % 100), "v" + i);
                    if (i >= writes / 4) {
                        h.recordValue((System.nanoTime() - start) / 1_000);
                    }
                }
                out.printf("%-13s %8.1f %8.1f %8.1f %10.1f %8.2f%n", region, h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, limit,
                        h.getValueAtPercentile(50) / 1000.0 / Math.max(limit, 0.001));
            }
            throughput(clients.get(leader), keyspace, leader, throughputRun, out);
            if (failover) {
                failover(lab, clients, keyspace, leader, out);
            }
        } finally {
            clients.values().forEach(MeridianClient::close);
        }
    }

    private static void throughput(MeridianClient client, String keyspace, String region, Duration run, PrintStream out) throws InterruptedException {
        ClosedLoop.Result r = ClosedLoop.run(CONCURRENCY, run, (writer, n) -> client.put(keyspace, "tput-" + writer + "-" + (n % 50), "v"));
        out.printf("throughput: %d concurrent writers in %s: %.0f writes/s (%d failed); p50 %.1f ms, p99 %.1f ms%n", CONCURRENCY,
                region, r.perSecond(), r.failed(), r.p50Ms(), r.p99Ms());
    }

    private static void failover(Lab lab, Map<String, MeridianClient> clients, String keyspace, String leader, PrintStream out) throws InterruptedException {
        String probe = clients.keySet().stream().filter(r -> !r.equals(leader)).findFirst().orElseThrow();
        MeridianClient c = clients.get(probe);
        long killed = System.nanoTime();
        lab.kill(leader);
        long committed = -1;
        while (System.nanoTime() - killed < Duration.ofSeconds(60).toNanos()) {
            try {
                c.put(keyspace, "failover", "after");
                committed = System.nanoTime();
                break;
            } catch (RuntimeException e) {
                Thread.sleep(10);
            }
        }
        out.printf("failover: %s killed; first commit through %s after %s%n", leader, probe,
                committed < 0 ? "none within 60 s" : String.format("%.2f s", (committed - killed) / 1e9));
        lab.revive(leader, Duration.ofSeconds(90));
        out.printf("%s revived%n", leader);
    }

    private static String leader(MeridianClient client, String keyspace) {
        return client.cluster().strongGroup(keyspace).map(io.meridian.core.api.StrongGroupView::leader)
                .orElseThrow(() -> new LabException("keyspace " + keyspace + " has no leader now"));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
