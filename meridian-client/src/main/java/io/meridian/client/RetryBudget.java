package io.meridian.client;

/**
 * How many retries a client may send, so that a failing region does not turn every request into
 * several (a retry storm): each request earns {@code percent} of a retry, up to {@code max}
 * retries saved; besides, {@code minPerSecond} retries a second are always allowed, so a client
 * that has sent little can still fail over. Finagle's retry budget, in the same spirit.
 *
 * <p>Pure and synchronized: times are passed in (nanoseconds of a monotonic clock).
 */
final class RetryBudget {
    private final double percent;
    private final double minPerSecond;
    private final double max;
    private double earned;
    private double reserve;
    private long lastNanos;
    private boolean started;

    /**
     * @param percent      retries earned per request (0.2: one retry for every five requests)
     * @param minPerSecond retries allowed each second whatever was earned
     * @param max          the most retries saved up
     */
    RetryBudget(double percent, double minPerSecond, double max) {
        if (percent < 0 || minPerSecond < 0 || max < 1) {
            throw new IllegalArgumentException("retry budget " + percent + "/" + minPerSecond + "/" + max);
        }
        this.percent = percent;
        this.minPerSecond = minPerSecond;
        this.max = max;
        this.reserve = minPerSecond;
    }

    /** A request was sent (its first attempt). */
    synchronized void requested() {
        earned = Math.min(max, earned + percent);
    }

    /** Takes one retry if the budget has one. */
    synchronized boolean tryRetry(long nowNanos) {
        if (started) {
            reserve = Math.min(minPerSecond, reserve + (nowNanos - lastNanos) / 1e9 * minPerSecond);
        }
        started = true;
        lastNanos = nowNanos;
        if (reserve >= 1) {
            reserve -= 1;
            return true;
        }
        if (earned >= 1) {
            earned -= 1;
            return true;
        }
        return false;
    }

    /** Retries that may be sent now (what was earned and what the reserve holds, whole). */
    synchronized int available(long nowNanos) {
        double r = started ? Math.min(minPerSecond, reserve + (nowNanos - lastNanos) / 1e9 * minPerSecond) : reserve;
        return (int) Math.floor(r) + (int) Math.floor(earned);
    }
}
