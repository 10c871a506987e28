package io.meridian.core.cost;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One region's WAN counters at one moment ({@link WanMeter#read}): cumulative since
 * {@code startedMs}, so two readings subtract into what crossed between them.
 *
 * @param region    the region that counted
 * @param startedMs when it began counting (it restarts from zero with the process); in a difference
 *                  ({@link #since}), when the interval began
 * @param atMs      when it was read
 * @param flows     per peer and transport
 * @param routed    the clients' requests to replicated keyspaces that reached this region, by where they ran
 */
public record WanCounters(String region, long startedMs, long atMs, List<Flow> flows, List<Routed> routed) {

    public WanCounters {
        flows = List.copyOf(flows);
        routed = routed == null ? List.of() : List.copyOf(routed);
    }

    /**
     * Requests of one kind to one keyspace that reached this region from clients, for keys of one
     * owner, served in one region ({@link WanMeter#routed}).
     *
     * @param kind     {@code read} or {@code write}
     * @param owner    the region owning the keys (home or primary); empty when none does
     * @param ranIn    where they were served: this region, or the one they were forwarded to
     * @param requests how many
     * @param bytesIn  their bodies' bytes
     * @param bytesOut their answers' bodies' bytes
     * @param micros   the time this region took to answer them, summed
     */
    public record Routed(String keyspace, String kind, String owner, String ranIn, long requests, long bytesIn,
                         long bytesOut, long micros) {
        static final java.util.Comparator<Routed> ORDER = java.util.Comparator.comparing(Routed::keyspace)
                .thenComparing(Routed::kind).thenComparing(Routed::owner).thenComparing(Routed::ranIn);

        boolean sameRoute(Routed other) {
            return keyspace.equals(other.keyspace) && kind.equals(other.kind) && owner.equals(other.owner)
                    && ranIn.equals(other.ranIn);
        }
    }

    /**
     * @param peer      the other region
     * @param transport {@code http}, {@code replication} or {@code consensus}
     * @param sent      bytes this region wrote on connections it counts with that peer
     * @param received  bytes it read on them
     * @param weights   what they carried, per label (a keyspace, or a name in parentheses)
     */
    public record Flow(String peer, String transport, long sent, long received, Map<String, Long> weights) {
        public Flow {
            weights = Map.copyOf(weights);
        }
    }

    /** A region's counters when it begins: nothing yet. */
    public static WanCounters empty(String region, long startedMs) {
        return new WanCounters(region, startedMs, startedMs, List.of(), List.of());
    }

    /** The flow with {@code peer} on {@code transport}, or an empty one. */
    public Flow flow(String peer, String transport) {
        for (Flow f : flows) {
            if (f.peer().equals(peer) && f.transport().equals(transport)) {
                return f;
            }
        }
        return new Flow(peer, transport, 0, 0, Map.of());
    }

    /**
     * What crossed between {@code earlier} and this reading. When {@code earlier} is from another
     * run of the region (it restarted in between), the whole of this run is the difference.
     */
    public WanCounters since(WanCounters earlier) {
        if (earlier == null || earlier.startedMs() != startedMs || earlier.atMs() > atMs) {
            return this;
        }
        List<Flow> out = new ArrayList<>();
        for (Flow f : flows) {
            Flow before = earlier.flow(f.peer(), f.transport());
            Map<String, Long> weights = new TreeMap<>();
            f.weights().forEach((label, w) -> {
                long d = w - before.weights().getOrDefault(label, 0L);
                if (d > 0) {
                    weights.put(label, d);
                }
            });
            out.add(new Flow(f.peer(), f.transport(), Math.max(0, f.sent() - before.sent()),
                    Math.max(0, f.received() - before.received()), weights));
        }
        List<Routed> routedSince = new ArrayList<>();
        for (Routed r : routed) {
            Routed before = earlier.routed().stream().filter(r::sameRoute).findFirst().orElse(null);
            if (before == null) {
                routedSince.add(r);
            } else if (r.requests() > before.requests()) {
                routedSince.add(new Routed(r.keyspace(), r.kind(), r.owner(), r.ranIn(), r.requests() - before.requests(),
                        r.bytesIn() - before.bytesIn(), r.bytesOut() - before.bytesOut(), r.micros() - before.micros()));
            }
        }
        return new WanCounters(region, earlier.atMs(), atMs, out, routedSince);
    }

    /** Labels' shares of a flow's bytes: each weight over their sum (no weights: nothing). */
    static Map<String, Double> shares(Flow f) {
        long total = 0;
        for (long w : f.weights().values()) {
            total += w;
        }
        Map<String, Double> shares = new HashMap<>();
        if (total > 0) {
            long sum = total;
            f.weights().forEach((label, w) -> shares.put(label, (double) w / sum));
        }
        return shares;
    }
}
