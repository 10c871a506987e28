package io.meridian.core.failover;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the control plane's log holds: each command is applied, in log order, by
 * {@link ControlState#apply} in every region. Times ({@code atMillis}) are the proposer's wall
 * clock, carried in the command so that every region records the same ones. Their encoding in the
 * log is the consensus layer's ({@code ControlStateMachine}), not this model's.
 */
public sealed interface Command {

    long atMillis();

    /**
     * A region's periodic report: the regions it suspects, replication it sees stalled, its
     * watermarks (its own sequence included), the epoch it had applied when it read them, and the
     * fenced regions whose write lease it no longer grants and last granted longer ago than a lease
     * and its margin ({@code leasesExpired}), and the round trip it last measured to each peer
     * ({@code rttMillis}: what a keyspace with {@code failover-order: auto} chooses successors by).
     *
     * <p>{@code withheld}: the regions it suspects and no longer serves, each with the watermark of
     * that region's writes it froze at. A promise that holds until a later report of the same
     * region leaves the region out (and, once the region is fenced, until its failover): it grants
     * that region no lease (its last grant is older than a lease and its margin) and applies none of
     * its stream. A fence of that region can use the promise at once, as a lease expiry and a frozen
     * watermark reported after the fence, instead of waiting a round for them.
     */
    record Report(String reporter, long epochSeen, Set<String> suspects, Set<String> stalled, Map<String, Long> watermarks,
                  long atMillis, Set<String> leasesExpired, Map<String, Long> rttMillis, Map<String, Long> withheld)
            implements Command {
        public Report {
            suspects = Set.copyOf(suspects);
            stalled = Set.copyOf(stalled);
            watermarks = Map.copyOf(watermarks);
            leasesExpired = leasesExpired == null ? Set.of() : Set.copyOf(leasesExpired);
            rttMillis = rttMillis == null ? Map.of() : Map.copyOf(rttMillis);
            withheld = withheld == null ? Map.of() : Map.copyOf(withheld);
        }

        public Report(String reporter, long epochSeen, Set<String> suspects, Set<String> stalled, Map<String, Long> watermarks,
                      long atMillis, Set<String> leasesExpired, Map<String, Long> rttMillis) {
            this(reporter, epochSeen, suspects, stalled, watermarks, atMillis, leasesExpired, rttMillis, Map.of());
        }

        public Report(String reporter, long epochSeen, Set<String> suspects, Set<String> stalled, Map<String, Long> watermarks,
                      long atMillis, Set<String> leasesExpired) {
            this(reporter, epochSeen, suspects, stalled, watermarks, atMillis, leasesExpired, Map.of());
        }

        public Report(String reporter, long epochSeen, Set<String> suspects, Set<String> stalled, Map<String, Long> watermarks,
                      long atMillis) {
            this(reporter, epochSeen, suspects, stalled, watermarks, atMillis, Set.of(), Map.of());
        }
    }

    /**
     * A region asked to extend its write lease through the log (how leases were renewed before
     * peers granted them on heartbeats). No longer proposed; still applied from older logs.
     */
    record Renew(String region, long atMillis) implements Command {
    }

    /**
     * The detector's verdict on a region: {@code act} fences it at once (automatic failover);
     * otherwise a pending decision awaits an operator.
     */
    record Raise(String region, boolean act, String trigger, List<String> evidence, long atMillis) implements Command {
        public Raise {
            evidence = List.copyOf(evidence);
        }
    }

    record Approve(long decision, String by, long atMillis) implements Command {
    }

    record Reject(long decision, String by, long atMillis) implements Command {
    }

    /** A pending decision whose evidence has gone (the region answers again). */
    record Withdraw(long decision, String why, long atMillis) implements Command {
    }

    /** The fenced region's lease has expired (the proposer waited for it): its keys go to their next region. */
    record Activate(String region, long atMillis) implements Command {
    }

    /**
     * A failed region is back: {@code lastSeq} is the last write it originated. Its writes after
     * the cutoff that never reached another region ({@code lostWrites} of them, written between
     * the two instants; {@code lostAnswered} of them answered to their clients) are its RPO.
     */
    record Rejoin(String region, long lastSeq, long lostWrites, long lostFromMillis, long lostToMillis, long atMillis,
                  long lostAnswered) implements Command {
        public Rejoin(String region, long lastSeq, long lostWrites, long lostFromMillis, long lostToMillis, long atMillis) {
            this(region, lastSeq, lostWrites, lostFromMillis, lostToMillis, atMillis, 0);
        }
    }

    /** Starts giving a rejoined region its keys back: the acting regions stop and report how far they wrote. */
    record Failback(String region, String by, long atMillis) implements Command {
    }

    /** The region holds every write the acting regions made for it: it is active again. */
    record Restore(String region, long atMillis) implements Command {
    }

    /**
     * An access token is made: every region will accept it (its secret's hash, never the secret,
     * is in the log). Refused when another token has its id, or a live one its name; the same
     * token again (a retried proposal) is applied and changes nothing.
     */
    record IssueToken(io.meridian.core.auth.AccessToken token, long atMillis) implements Command {
    }

    /** An access token is revoked: no region accepts it once it has applied this. The same command again is applied once. */
    record RevokeToken(String id, String by, long atMillis) implements Command {
    }
}
