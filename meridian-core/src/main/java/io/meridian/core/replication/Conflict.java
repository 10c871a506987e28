package io.meridian.core.replication;

/**
 * A write that lost to a concurrent one: both sides, and the rule that decided. Recorded in the
 * region that saw the two meet; nothing that loses disappears without one of these.
 */
public record Conflict(String keyspace, String key, Entry winner, Entry loser, String rule, String detectedBy) {
    public static final String LWW_RULE = "last-writer-wins: higher (hlc, origin) wins";
}
