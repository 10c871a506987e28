package io.meridian.core.health;

import java.util.Optional;

/**
 * What one region knows of a peer region from its probes: whether the last probe was answered,
 * and the round-trip times measured (last, minimum, and an exponentially weighted average).
 * Immutable; the prober replaces it after every probe. Times are passed in, never read here.
 *
 * @param lastSeenMillis wall-clock millis of the last answered probe, or 0 when none was
 */
public record PeerHealth(String region, String address, boolean reachable, long probes, long failures,
                         int consecutiveFailures, double lastRttMillis, double minRttMillis, double avgRttMillis,
                         long lastSeenMillis, Optional<String> lastError) {

    /** Weight of the newest sample in the average: about the last ten probes matter. */
    static final double EWMA_WEIGHT = 0.2;

    public static PeerHealth unknown(String region, String address) {
        return new PeerHealth(region, address, false, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, 0,
                Optional.of("not probed yet"));
    }

    public PeerHealth onAnswer(double rttMillis, long nowMillis) {
        if (rttMillis < 0 || Double.isNaN(rttMillis)) {
            throw new IllegalArgumentException("round-trip time must be a non-negative number: " + rttMillis);
        }
        double min = Double.isNaN(minRttMillis) ? rttMillis : Math.min(minRttMillis, rttMillis);
        double avg = Double.isNaN(avgRttMillis) ? rttMillis : avgRttMillis + EWMA_WEIGHT * (rttMillis - avgRttMillis);
        return new PeerHealth(region, address, true, probes + 1, failures, 0, rttMillis, min, avg, nowMillis,
                Optional.empty());
    }

    public PeerHealth onFailure(String reason) {
        return new PeerHealth(region, address, false, probes + 1, failures + 1, consecutiveFailures + 1,
                lastRttMillis, minRttMillis, avgRttMillis, lastSeenMillis, Optional.of(reason));
    }
}
