package io.meridian.core.api;

/**
 * One strong keyspace's Raft group as one region sees it.
 *
 * @param leader             the leader's region, null when none is known
 * @param appliedIndex       the last log index applied here (-1: unknown)
 * @param leaderSilentMillis how long since this region heard from the leader (-1: unknown)
 */
public record StrongGroupView(String keyspace, String leader, boolean isLeader, long appliedIndex, long leaderSilentMillis,
                              Membership membership) {

    /** Whether a region votes in a group, or is still coming back into it after losing its disk. */
    public enum Membership {
        /** A voting member, as configured. */
        VOTER,
        /** Lost its Raft state and is rejoining through a membership change; serves no read of the group yet. */
        REJOINING
    }
}
