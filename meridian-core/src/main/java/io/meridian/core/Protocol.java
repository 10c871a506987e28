package io.meridian.core;

import java.util.Optional;

/**
 * What regions of one deployment must agree on to work together: the replication streams' and
 * snapshots' messages, strong keyspaces' Raft log entries and their replies, and the headers
 * regions exchange. Each build speaks protocols {@link #OLDEST} to {@link #CURRENT}; a change
 * that an older build could not read raises {@link #CURRENT}, and a build that still reads the
 * older form keeps {@link #OLDEST} below it, so a deployment can be upgraded one region at a time.
 * Regions say theirs in {@link #HEADER} on their health probes and answers; a node whose peer
 * speaks a protocol outside its range refuses to start (and a running one treats such a peer as
 * unreachable), naming both ranges.
 */
public final class Protocol {
    public static final String HEADER = "Meridian-Protocol";
    /** The protocol this build speaks. */
    public static final int CURRENT = 1;
    /** The oldest protocol of a peer this build works with. */
    public static final int OLDEST = 1;

    private Protocol() {
    }

    /**
     * Why {@code peer}, which said {@code header} (null: a build from before the header, protocol 1),
     * cannot work with this build; empty when it can.
     */
    public static Optional<String> incompatibility(String peer, String header) {
        return incompatibility(peer, header, OLDEST, CURRENT);
    }

    static Optional<String> incompatibility(String peer, String header, int oldest, int current) {
        int theirs;
        if (header == null) {
            theirs = 1;
        } else {
            try {
                theirs = Integer.parseInt(header.strip());
            } catch (NumberFormatException e) {
                return Optional.of("region " + peer + " names its protocol '" + header + "', not a number; this node speaks "
                        + range(oldest, current));
            }
        }
        if (theirs >= oldest && theirs <= current) {
            return Optional.empty();
        }
        return Optional.of("region " + peer + " speaks protocol " + theirs + "; this node speaks " + range(oldest, current)
                + ": regions mix only while each speaks the other's protocol. " + (theirs > current
                ? "Upgrade this node to a version that speaks protocol " + theirs + "."
                : "Upgrade " + peer + " first, to a version that speaks protocol " + oldest + " or later."));
    }

    private static String range(int oldest, int current) {
        return oldest == current ? "protocol " + current + " only" : "protocols " + oldest + " to " + current;
    }
}
