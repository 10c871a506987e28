package io.meridian.core;

import java.util.List;
import java.util.Optional;

/**
 * What a keyspace's policy means for the rest of the system, decided in one place: how it
 * replicates, who writes a key, whether a key has a single owner (so failover and fencing
 * apply), which read levels it serves and how concurrent writes resolve. Code that needs one of
 * these answers asks the rules instead of switching on the policy, so a new policy is one more
 * case here (and one in the node's {@code Engines.create}) and the compiler points at nothing else.
 *
 * @param replication how writes reach the other regions
 * @param writer      which region may write a key
 * @param primary     the primary region, for {@link Writer#PRIMARY}; empty otherwise
 * @param resolver    how concurrent writes of multi-master data resolve ({@code lww} or a class name); empty otherwise
 * @param leaders     for consensus: the regions preferred as leader, first the most; empty otherwise
 * @param commitEverywhere for consensus: a write is acknowledged once every region holds it, not a majority
 * @param crdt        for CRDT keyspaces, the type their values merge as (concurrent writes join, never conflict); empty otherwise
 */
public record KeyspaceRules(Replication replication, Writer writer, Optional<String> primary, Optional<String> resolver,
                            List<String> leaders, boolean commitEverywhere, Optional<io.meridian.core.crdt.CrdtType> crdt,
                            List<Policy.ProjectionSpec> projections) {
    public KeyspaceRules {
        leaders = List.copyOf(leaders);
        projections = List.copyOf(projections);
    }

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
        Optional<String> none = Optional.empty();
        List<String> noLeaders = List.of();
        return switch (policy) {
            case Policy.Local l -> new KeyspaceRules(Replication.NONE, Writer.ANY, none, none, noLeaders, false, Optional.empty(), List.of());
            case Policy.Strong s -> new KeyspaceRules(Replication.CONSENSUS, Writer.LEADER, none, none, s.leaderPreference(),
                    s.sync() == Policy.SyncMode.ALL, Optional.empty(), List.of());
            case Policy.Primary p -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.PRIMARY, Optional.of(p.primaryRegion()), none,
                    noLeaders, false, Optional.empty(), List.of());
            case Policy.HomeRegion h -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.HOME, none, none, noLeaders, false, Optional.empty(), List.of());
            case Policy.MultiMaster m -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.ANY, none, Optional.of(m.resolver()),
                    noLeaders, false, Optional.empty(), List.of());
            case Policy.Crdt c -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.ANY, none, none, noLeaders, false,
                    Optional.of(c.type()), List.of());
            case Policy.EventLog e -> new KeyspaceRules(Replication.ASYNCHRONOUS, Writer.STREAM_HOME, none, none, noLeaders, false, Optional.empty(),
                    e.projections());
        };
    }

    /** True when the keyspace's writes travel over the asynchronous replication streams (and its snapshots). */
    public boolean asynchronous() {
        return replication == Replication.ASYNCHRONOUS;
    }

    /** True when the keyspace's writes commit through a Raft group (linearizable reads, transactions). */
    public boolean consensus() {
        return replication == Replication.CONSENSUS;
    }

    /** True when each key has exactly one region writing it at a time: failover, leases and fencing apply. */
    public boolean singleOwner() {
        return writer == Writer.PRIMARY || writer == Writer.HOME || writer == Writer.STREAM_HOME;
    }

    /**
     * True when keys have a home region that writes them and can move ({@code Meridian-Home}, move-home):
     * home-region keys, and event-log streams (a stream is a key; its home orders its appends).
     */
    public boolean homed() {
        return writer == Writer.HOME || writer == Writer.STREAM_HOME;
    }

    /** True when the keyspace holds event streams: appended to, never overwritten ({@code /v1/events}). */
    public boolean eventLog() {
        return writer == Writer.STREAM_HOME;
    }

    /**
     * The region that owns a key (makes its writes, unless failed over): the primary, or the key's
     * home; empty when the keyspace has no single owner or the home is not known here.
     *
     * @param home the key's home as this region knows it, empty when unknown
     */
    public Optional<String> owner(String home) {
        return switch (writer) {
            case PRIMARY -> primary;
            case HOME, STREAM_HOME -> home == null || home.isEmpty() ? Optional.empty() : Optional.of(home);
            case ANY, LEADER -> Optional.empty();
        };
    }

    /** The regions a policy names (a primary, preferred leaders): each must exist and hold data. */
    public List<String> namedRegions() {
        return primary.map(List::of).orElse(leaders);
    }

    /** True when this region's copy may be written by requests arriving anywhere, the session's writes first. */
    public boolean writtenEverywhere() {
        return writer == Writer.ANY && asynchronous();
    }
}
