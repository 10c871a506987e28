package io.meridian.core.failover;

/**
 * A region's write lease as the region itself sees it. A renewal sent at {@code t} and granted
 * makes the lease valid until {@code t + duration} on this region's monotonic clock: the control
 * plane applied the grant after {@code t}, and waits {@code duration} (plus a margin) after it
 * applied the last one before letting another region act, so the two never overlap. A refusal
 * (the region was fenced) ends the lease at once.
 *
 * <p>Pure: times are passed in (nanoseconds of a monotonic clock). Thread-safe.
 */
public final class Lease {
    private final long durationNanos;
    private long validUntilNanos;
    private boolean held;

    public Lease(java.time.Duration duration) {
        this.durationNanos = duration.toNanos();
    }

    /** The renewal sent at {@code sentNanos} was granted. */
    public synchronized void granted(long sentNanos) {
        long until = sentNanos + durationNanos;
        if (!held || until - validUntilNanos > 0) {
            validUntilNanos = until;
        }
        held = true;
    }

    /** The control plane refused to renew: the region may not write the keys it owns. */
    public synchronized void revoked() {
        held = false;
    }

    public synchronized boolean valid(long nowNanos) {
        return held && validUntilNanos - nowNanos > 0;
    }

    /** Nanoseconds left, 0 when not valid. */
    public synchronized long remainingNanos(long nowNanos) {
        return valid(nowNanos) ? validUntilNanos - nowNanos : 0;
    }
}
