package io.meridian.core.api;

import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.health.PeerHealth;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/cluster}: the deployment as one region sees it.
 *
 * @param replication null in a region that replicates nothing asynchronously
 * @param projections the projections this region runs, with their positions and lag
 * @param exposure    per data region that answered, what losing it now would lose ({@code GET /v1/exposure} there)
 */
public record ClusterView(String region, List<Region> regions, List<Keyspace> keyspaces, List<Peer> peers,
                          ReplicationView replication, List<StrongGroupView> strong, List<ProjectionView> projections,
                          Map<String, ExposureView> exposure) {

    public record Region(String name, String location, String url) {
    }

    /** @param rpoBudgetMs the keyspace's RPO budget, absent when it has none; {@code onBudgetExceeded}: wait or refuse */
    public record Keyspace(String name, String policy, Map<String, Object> options, List<String> residency, long maxValueBytes,
                           Long rpoBudgetMs, String onBudgetExceeded) {
        public static Keyspace of(KeyspaceConfig k) {
            return new Keyspace(k.name(), k.policy().name(), k.policy().options(), k.residency(), k.maxValueBytes(),
                    k.rpoBudget().map(b -> b.budgetMillis()).orElse(null),
                    k.rpoBudget().map(b -> b.onExceeded().configName()).orElse(null));
        }
    }

    /**
     * A peer as this region sees it; round-trip times in milliseconds, absent until measured.
     *
     * @param silentMs since its last answer to a probe, at the time of the view (null: it never answered). A peer
     *                 answers each probe; a link cut without a reset shows here before the probe in flight times out
     */
    public record Peer(String region, String address, boolean reachable, Double rttMs, Double rttMinMs, Double rttAvgMs,
                       String lastSeen, Long silentMs, long probes, long failures, String error) {
        public static Peer of(PeerHealth p, long nowMillis) {
            return new Peer(p.region(), p.address(), p.reachable(), round(p.lastRttMillis()),
                    round(p.minRttMillis()), round(p.avgRttMillis()),
                    p.lastSeenMillis() == 0 ? null : Instant.ofEpochMilli(p.lastSeenMillis()).toString(),
                    p.lastSeenMillis() == 0 ? null : Math.max(0, nowMillis - p.lastSeenMillis()),
                    p.probes(), p.failures(), p.lastError().orElse(null));
        }

        private static Double round(double millis) {
            return Double.isNaN(millis) ? null : Math.round(millis * 100) / 100.0;
        }
    }

    /** The strong group of {@code keyspace}, if this region has one. */
    public java.util.Optional<StrongGroupView> strongGroup(String keyspace) {
        return strong == null ? java.util.Optional.empty()
                : strong.stream().filter(g -> g.keyspace().equals(keyspace)).findFirst();
    }
}
