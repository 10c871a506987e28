package io.meridian.core.failover;

import java.util.HashMap;
import java.util.Map;

/**
 * A region's write lease as the region itself sees it, granted by the other members of the
 * control group directly (on the heartbeats), not through the control plane's log: a region keeps
 * writing the keys it owns while the control plane elects a new leader.
 *
 * <p>A grant from peer P of the request this region sent at {@code t} (its monotonic clock) makes
 * P's part valid until {@code t + duration}: P granted after {@code t}. The lease holds while
 * {@code grantsNeeded} peers' parts are valid, so that with this region they are a majority of
 * the control group. A peer grants only while the region is active in its copy of the control
 * state; before a failover activates, enough peers to leave no such majority must have applied the
 * fence and waited {@code duration} plus a margin since their last grant (they say so in their
 * reports), so this lease has lapsed before another region writes its keys.
 *
 * <p>Pure: times are passed in (nanoseconds of a monotonic clock). Thread-safe.
 */
public final class Lease {
    private final long durationNanos;
    private final int grantsNeeded;
    /** Per peer, when this region sent the latest request that peer granted. */
    private final Map<String, Long> grants = new HashMap<>();

    /** @param grantsNeeded peers whose grants, with this region, make a majority of the control group */
    public Lease(java.time.Duration duration, int grantsNeeded) {
        this.durationNanos = duration.toNanos();
        this.grantsNeeded = grantsNeeded;
    }

    /** {@code peer} granted the request this region sent at {@code sentNanos}. */
    public synchronized void granted(String peer, long sentNanos) {
        grants.merge(peer, sentNanos, (a, b) -> b - a > 0 ? b : a);
    }

    /** {@code peer} refused: it sees this region fenced or failed over. Its earlier grant no longer counts. */
    public synchronized void refused(String peer) {
        grants.remove(peer);
    }

    /** This region is not active: it may not write the keys it owns, whatever it was granted. */
    public synchronized void revoked() {
        grants.clear();
    }

    public synchronized boolean valid(long nowNanos) {
        return remainingNanos(nowNanos) > 0;
    }

    /** Nanoseconds left, 0 when not valid. */
    public synchronized long remainingNanos(long nowNanos) {
        if (grantsNeeded == 0) {
            return Long.MAX_VALUE / 4; // a control group of one: nobody else could take its keys
        }
        if (grants.size() < grantsNeeded) {
            return 0;
        }
        // The lease lasts as long as the grantsNeeded-th most recent grant.
        long until = grants.values().stream().sorted((a, b) -> Long.compare(b - a, 0)).skip(grantsNeeded - 1).findFirst()
                .orElseThrow() + durationNanos;
        return Math.max(0, until - nowNanos);
    }
}
