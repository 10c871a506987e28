package io.meridian.core.api;

import io.meridian.core.failover.ControlState;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/failovers}: the deployment's failover state as one region has applied it.
 *
 * @param controlLeader the control plane's Raft leader, null when none is known
 */
public record FailoverView(String region, String policy, long epoch, String controlLeader, Lease lease,
                           List<RegionStatus> regions, List<ControlState.LostRange> lost,
                           List<ControlState.Decision> decisions, List<Peer> peers) {

    /**
     * How this region's failure detector sees a peer.
     *
     * @param heardForMs     since it first heard the peer (null: never)
     * @param silentMs       since its last sign of life (null: never heard)
     * @param warmingUp      in its first seconds after first heard: not suspected from silence alone, and its
     *                       heartbeats not yet shaping the rhythm
     */
    public record Peer(String name, Long heardForMs, Long silentMs, double heartbeatMeanMs, double heartbeatSdMs, double phi,
                       boolean warmingUp, boolean suspected) {
    }

    /** This region's write lease. */
    public record Lease(boolean held, long remainingMs, long durationMs) {
    }

    /**
     * One region in the control plane.
     *
     * @param status           {@code active}, {@code failed}, {@code rejoined}, ... (lower case)
     * @param decision         the open failover decision about it, null when none
     * @param actingFor        per keyspace it owns keys of, the region writing them now (null: none may)
     * @param recentSuspicions onsets of suspicion of the region within the flapping window
     */
    public record RegionStatus(String name, boolean witness, String status, Long decision, Map<String, String> actingFor,
                               List<String> suspects, String reportedAt, int recentSuspicions) {
    }

    /** The region named {@code name}, if the view has it. */
    public java.util.Optional<RegionStatus> regionNamed(String name) {
        return regions.stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
