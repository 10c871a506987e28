package io.meridian.core.api;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/status}: what one region knows of itself now, cheaply and without asking any
 * other region. The console asks every region for it each second ({@code GET /v1/overview}) and
 * turns consecutive answers into rates.
 *
 * @param atMs        this region's wall clock when it answered
 * @param peers       its failure detector's view of every other region (round-trip times, reachability)
 * @param probeIntervalMs how often it probes each peer: a peer silent for a few of these is not answering
 * @param replication its asynchronous replication, per peer both ways (null: it replicates nothing asynchronously)
 * @param canary      what its canary probes measured (null: none run here)
 * @param exposure    its writes no other region holds yet (null in a witness)
 * @param strong      the strong keyspaces' Raft groups as it sees them (null: it takes part in none)
 * @param requests    the requests on keyspaces it served since it started, per keyspace and operation
 * @param lease       its write lease (null: regions do not fail over here, or it is a witness)
 */
public record StatusView(String region, String location, boolean witness, long atMs, List<ClusterView.Peer> peers,
                         long probeIntervalMs,
                         ReplicationView replication, CanaryView canary, ExposureView exposure, List<StrongGroupView> strong,
                         List<Requests> requests, FailoverView.Lease lease) {

    /**
     * Requests on one keyspace by one operation since the region started, every status together.
     *
     * @param errors  those answered with a 5xx
     * @param totalMs their latency summed
     * @param buckets the cumulative latency histogram: upper bound in milliseconds to the requests at or under it
     *                (only bounds some request reached, so a rate's quantile comes from two answers' difference)
     */
    public record Requests(String keyspace, String operation, long count, long errors, double totalMs,
                           Map<String, Long> buckets) {
    }
}
