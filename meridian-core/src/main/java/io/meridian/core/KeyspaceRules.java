package io.meridian.core;

/**
 * What a keyspace's policy means for the rest of the system, decided in one place: how it
 * replicates, who writes a key, and whether a key has a single owner (so failover and fencing
 * apply). Code that needs one of these answers asks the rules instead of switching on the
 * policy, so a new policy is one more case here and the compiler points at nothing else.
 *
 * @param replication how writes reach the other regions
 * @param writer      which region may write a key
 */
public record KeyspaceRules(Replication replication, Writer writer) {

    /** How a keyspace's writes reach the other regions. */
    public enum Replication {
        /** They never leave the region that made them. */
        NONE,
        /** Shipped after the write is acknowledged, over the replication streams; regions apply and resolve. */
        ASYNCHRONOUS,
        /** Committed through the keyspace's Raft group before the write is acknowledged. */
        CONSENSUS
    }

    /** Which region may write a key of the keyspace. */
    public enum Writer {
        /** Any region, each its own copy (local keyspaces) or its own version (multi-master, CRDTs). */
        ANY,
        /** The keyspace's primary region. */
        PRIMARY,
        /** The key's home region. */
        HOME,
        /** Any region, through the consensus group's leader. */
        LEADER,
        /** The stream's home region. */
        STREAM_HOME
    }

    public static KeyspaceRules of(Policy policy) {
        return switch (policy) {
            case Policy.Local l -> new KeyspaceRules(Replication.NONE, Writer.ANY);
            case Policy.Strong s -> new KeyspaceRules(Replication.CONSENSUS, Writer.LEADER);
            case Policy.Primary p -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.PRIMARY);
            case Policy.HomeRegion h -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.HOME);
            case Policy.MultiMaster m -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.ANY);
            case Policy.Crdt c -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.ANY);
            case Policy.EventLog e -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.STREAM_HOME);
        };
    }

    /** True when the keyspace's writes travel over the asynchronous replication streams (and its snapshots). */
    public boolean asynchronous() {
        return replication == Replication.ASYNCHRONOUS;
    }

    /** True when each key has exactly one region writing it at a time: failover, leases and fencing apply. */
    public boolean singleOwner() {
        return writer == Writer.PRIMARY || writer == Writer.HOME;
    }
}
