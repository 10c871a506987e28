package io.meridian.core.replication;

/**
 * A write that lost to a concurrent one: both sides, and the rule that decided. Recorded in the
 * region that saw the two meet; nothing that loses disappears without one of these.
 *
 * @param answered for a write lost in a failover, recorded by its own region: whether that region
 *                 sent the client its answer (true), or never did (false: the client saw an error or
 *                 a dropped connection, not an acknowledgement); null where it is not known (elsewhere)
 */
public record Conflict(String keyspace, String key, Entry winner, Entry loser, String rule, String detectedBy, Boolean answered) {
    public Conflict(String keyspace, String key, Entry winner, Entry loser, String rule, String detectedBy) {
        this(keyspace, key, winner, loser, rule, detectedBy, null);
    }

    public static final String LWW_RULE = "last-writer-wins: higher (hlc, origin) wins";
    /** The rule of a write lost in a failover; such a record names the write as both sides. */
    public static final String UNREPLICATED_RULE = "unreplicated: acknowledged by its region, which failed before any other"
            + " region received it; a failover gave its keys to another region";

    /** A write its origin acknowledged but lost in a failover, as recorded by {@code detectedBy}. */
    public static Conflict lost(Entry write, String detectedBy) {
        return lost(write, detectedBy, null);
    }

    /** As {@link #lost(Entry, String)}, by its own region, which knows whether it answered the client. */
    public static Conflict lost(Entry write, String detectedBy, Boolean answered) {
        return new Conflict(write.keyspace(), write.key(), write, write, UNREPLICATED_RULE, detectedBy, answered);
    }

    /** True for the record of a write lost in a failover rather than a conflict between two writes. */
    public boolean isLoss() {
        return UNREPLICATED_RULE.equals(rule);
    }
}
