package io.meridian.core;

/** Meridian's own HTTP headers, shared by the node and the clients. */
public final class Headers {
    /** On every response: the region that served it. On requests between nodes: the caller's region. */
    /**
     * On a region's heartbeat ({@code GET /v1/health} from a peer): {@code request} asks the peer
     * to extend the sender's write lease; the answer says {@code granted} or {@code refused}.
     */
    public static final String LEASE = "Meridian-Lease";
    /**
     * On a region's heartbeat ({@code GET /v1/health} from a peer) and on its answer: the regions the
     * sender's failure detector suspects now, comma-separated (empty when none). A region starts a
     * Raft election only when a majority of the group, counted from what peers said in the last
     * second, suspects the leader.
     */
    public static final String SUSPECTS = "Meridian-Suspects";
    /**
     * Beside {@link #SUSPECTS}: how far the sender's copy of each Raft group's log reaches
     * ({@code _control=3:412,accounts=1:29}, term:index of the last entry). Of the regions that
     * agree a leader is gone, the one with the longest log starts the election.
     */
    public static final String RAFT_LOGS = "Meridian-Raft-Logs";
    /**
     * On answers: the region that answered. On requests: the region that sent it, which every
     * region-to-region request names (forwards, probes, canaries, status); the receiver counts
     * such a connection's bytes as WAN traffic with that region ({@code GET /v1/cost}).
     */
    public static final String REGION = "Meridian-Region";
    /**
     * On a health answer: {@code true} while the region drains for a planned restart. Its peers do
     * not suspect it while it is away, for a grace ({@link io.meridian.core.failover.RegionAgent#PLANNED_RESTART_GRACE_MILLIS}).
     */
    public static final String DRAINING = "Meridian-Draining";
    /** The session token: on write responses, and sent back by clients on later requests. */
    public static final String SESSION = "Meridian-Session";
    /** On reads: how stale, at most, the answer may be, in milliseconds (or {@code unbounded}). */
    public static final String STALENESS = "Meridian-Staleness-Ms";
    /** The home region of a key: named on writes that create it, reported on reads. */
    public static final String HOME = "Meridian-Home";
    /** On requests one node forwards to another: the forwarding region. Forwarded requests are not forwarded again. */
    public static final String FORWARDED_BY = "Meridian-Forwarded-By";
    /** The failover epoch a region routed a forwarded request under; the receiver refuses another. */
    public static final String EPOCH = "Meridian-Epoch";

    private Headers() {
    }
}
