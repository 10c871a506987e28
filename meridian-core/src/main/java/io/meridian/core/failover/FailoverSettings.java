package io.meridian.core.failover;

import java.time.Duration;

/**
 * How a deployment detects failed regions and fails over ({@code failover:} in the
 * configuration).
 *
 * @param policy           who decides: {@code auto}, {@code manual} or {@code hybrid}
 * @param heartbeat        how often each region sends a heartbeat (a health probe) to every other
 * @param phiThreshold     suspicion level at which a silent peer is suspected
 * @param acceptablePause  silence tolerated on top of the usual interval before suspicion rises
 * @param lease            how long a granted write lease lasts from the moment its request was sent
 * @param renewEvery       how often a region asks its peers to extend its lease (the requests ride on the
 *                         heartbeats, so the shorter of this and {@code heartbeat})
 * @param reportEvery      how often a region refreshes its report to the control plane when nothing in it but
 *                         watermarks changed (a change of suspicions, epoch, expired leases or withheld regions
 *                         is reported at once); at most 4 s, below the 5 s an ongoing suspicion is judged over
 * @param flapOnsets       this many onsets of suspicion of one region within {@code flapWindow} is flapping
 * @param flapWindow       the window flapping is judged over
 * @param autoFailback     give a rejoined region its keys back by itself once it has caught up
 */
public record FailoverSettings(Policy policy, Duration heartbeat, double phiThreshold, Duration acceptablePause,
                               Duration lease, Duration renewEvery, Duration reportEvery, int flapOnsets,
                               Duration flapWindow, boolean autoFailback) {

    public enum Policy {
        AUTO, MANUAL, HYBRID;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final FailoverSettings DEFAULT = new FailoverSettings(Policy.HYBRID, Duration.ofMillis(200), 8.0,
            Duration.ofMillis(400), Duration.ofMillis(1_500), Duration.ofMillis(200), Duration.ofMillis(2_000), 3,
            Duration.ofSeconds(60), false);

    public FailoverSettings {
        if (renewEvery.compareTo(lease.dividedBy(2)) > 0) {
            throw new IllegalArgumentException("renew-every (" + renewEvery.toMillis() + " ms) must be at most half the lease ("
                    + lease.toMillis() + " ms)");
        }
    }

    /**
     * How long after a region's last granted renewal the control plane waits before another region
     * may act for it: the lease plus a margin for clocks that run at slightly different rates and
     * for scheduling delay.
     */
    public Duration leaseExpiryWait() {
        return lease.plus(Duration.ofMillis(Math.max(200, lease.toMillis() / 10)));
    }

    /**
     * How long a region's report of suspicions counts; older ones say nothing. A live region
     * refreshes its report every {@code reportEvery}: two refreshes missed and a second for the
     * commit, and never less than 3 s.
     */
    public Duration reportTtl() {
        Duration ttl = reportEvery.multipliedBy(2).plus(Duration.ofSeconds(1));
        return ttl.compareTo(Duration.ofSeconds(3)) < 0 ? Duration.ofSeconds(3) : ttl;
    }
}
