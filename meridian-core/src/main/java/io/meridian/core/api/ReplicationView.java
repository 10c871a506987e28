package io.meridian.core.api;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything about asynchronous replication one region knows: in {@code GET /v1/cluster}, in metrics and in the lab.
 * {@code conflictsDetected} counts the conflicts this region resolved since it started, {@code conflictsByKeyspace}
 * the same per keyspace.
 */
public record ReplicationView(Map<String, Long> watermarks, long unreplicatedWrites, long conflictsDetected,
                              long lostWritesRecorded, long tombstonesPending, long tombstonesCollected,
                              String bootstrappedFrom, List<PeerReplication> peers, Map<String, Delay> applyDelayMs,
                              String statsSince, Map<String, Long> conflictsByKeyspace) {

    /** One peer as this region's replication sees it, both directions. */
    public record PeerReplication(String region, boolean connected, Long lastBatchMsAgo, Long stalenessMs, long entriesBehind,
                                  long lagEntries, long lagMs, long bytesSent, long bytesReceived, Set<String> origins,
                                  boolean snapshotNeeded) {
    }

    /** Distribution of the delay from a write at its origin to its apply here, since the last reset. */
    public record Delay(long count, long p50Ms, long p90Ms, long p99Ms, long maxMs) {
    }
}
