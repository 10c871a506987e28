package io.meridian.core.failure;

import java.util.ArrayDeque;

/**
 * The phi accrual failure detector (Hayashibara, Défago, Yared, Katayama, "The φ Accrual Failure
 * Detector", 2004), as Cassandra and Akka use it: instead of a yes/no verdict after a fixed
 * timeout, a suspicion level φ that grows with the silence since the last heartbeat, scaled by
 * how regular heartbeats have been. φ = 1 means about a 10 % chance that declaring the peer dead
 * now is a mistake, φ = 2 about 1 %, φ = 8 about one in 10^8.
 *
 * <p>Inter-arrival times are modelled as a normal distribution over a bounded window of recent
 * samples, with a floor on the standard deviation (a perfectly regular history must not make a
 * millisecond of jitter look fatal) and an acceptable pause added to the mean (a GC pause or a
 * WAN hiccup should not count). The CDF uses the logistic approximation Akka uses.
 *
 * <p>Pure: time is passed in. Not thread-safe; the caller owns one per peer.
 */
public final class PhiAccrualDetector {
    private final int windowSize;
    private final double minStdDevMillis;
    private final double acceptablePauseMillis;
    private final ArrayDeque<Long> intervals = new ArrayDeque<>();
    private double sum;
    private double sumOfSquares;
    private long lastHeartbeatMillis = -1;
    private final long maxIntervalMillis;

    /**
     * @param windowSize            how many recent inter-arrival times shape the distribution
     * @param minStdDevMillis       the least standard deviation assumed
     * @param acceptablePauseMillis silence tolerated on top of the mean before suspicion rises
     * @param firstIntervalMillis   the expected interval, seeding the window before real samples
     */
    public PhiAccrualDetector(int windowSize, double minStdDevMillis, double acceptablePauseMillis, long firstIntervalMillis) {
        this(windowSize, minStdDevMillis, acceptablePauseMillis, firstIntervalMillis, Long.MAX_VALUE);
    }

    /**
     * @param maxIntervalMillis silence longer than this between two heartbeats was an outage, not the
     *                          heartbeats' rhythm: it is not recorded (as Cassandra does), or one outage
     *                          would make the detector slow to suspect the peer for a whole window (a
     *                          20 s outage in a window of 100 samples took suspicion from ~1 s to ~9 s)
     */
    public PhiAccrualDetector(int windowSize, double minStdDevMillis, double acceptablePauseMillis, long firstIntervalMillis,
                              long maxIntervalMillis) {
        if (windowSize < 2 || minStdDevMillis <= 0 || acceptablePauseMillis < 0 || firstIntervalMillis <= 0) {
            throw new IllegalArgumentException("window " + windowSize + ", min std dev " + minStdDevMillis
                    + " ms, pause " + acceptablePauseMillis + " ms, first interval " + firstIntervalMillis + " ms");
        }
        this.windowSize = windowSize;
        this.minStdDevMillis = minStdDevMillis;
        this.acceptablePauseMillis = acceptablePauseMillis;
        this.maxIntervalMillis = maxIntervalMillis;
        // Seed with a mean of the expected interval and a deviation of a quarter of it, as Akka does.
        record(firstIntervalMillis - firstIntervalMillis / 4);
        record(firstIntervalMillis + firstIntervalMillis / 4);
    }

    /** A heartbeat (any sign of life) arrived at {@code nowMillis}. */
    public void heartbeat(long nowMillis) {
        if (lastHeartbeatMillis >= 0 && nowMillis > lastHeartbeatMillis && nowMillis - lastHeartbeatMillis <= maxIntervalMillis) {
            record(nowMillis - lastHeartbeatMillis);
        }
        lastHeartbeatMillis = Math.max(lastHeartbeatMillis, nowMillis);
    }

    /** The mean of the recorded inter-arrival times, without the acceptable pause. */
    public double meanMillis() {
        return sum / intervals.size();
    }

    /** The standard deviation phi uses (never below the floor). */
    public double stdDevMillis() {
        double mean = sum / intervals.size();
        return Math.max(Math.sqrt(Math.max(0, sumOfSquares / intervals.size() - mean * mean)), minStdDevMillis);
    }

    /** The suspicion level now; 0 before the first heartbeat (nothing is known to suspect). */
    public double phi(long nowMillis) {
        if (lastHeartbeatMillis < 0) {
            return 0;
        }
        double elapsed = Math.max(0, nowMillis - lastHeartbeatMillis);
        double mean = meanMillis() + acceptablePauseMillis;
        double stdDev = stdDevMillis();
        double y = (elapsed - mean) / stdDev;
        double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        return elapsed > mean ? -Math.log10(e / (1.0 + e)) : -Math.log10(1.0 - 1.0 / (1.0 + e));
    }

    public boolean isAvailable(long nowMillis, double threshold) {
        return phi(nowMillis) < threshold;
    }

    public long lastHeartbeatMillis() {
        return lastHeartbeatMillis;
    }

    private void record(long interval) {
        intervals.addLast(interval);
        sum += interval;
        sumOfSquares += (double) interval * interval;
        if (intervals.size() > windowSize) {
            long dropped = intervals.removeFirst();
            sum -= dropped;
            sumOfSquares -= (double) dropped * dropped;
        }
    }
}
