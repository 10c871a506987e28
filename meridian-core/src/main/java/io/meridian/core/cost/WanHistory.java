package io.meridian.core.cost;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Readings of a region's {@link WanMeter} kept for a while, so that a rate can be taken over the
 * last hour rather than since the process started. The caller records a reading now and then
 * (every few seconds); readings older than the window are dropped, all but the newest of them,
 * where the window starts. Thread-safe.
 */
public final class WanHistory {
    private final Duration window;
    private final Deque<WanCounters> readings = new ArrayDeque<>();

    public WanHistory(Duration window) {
        this.window = window;
    }

    public Duration window() {
        return window;
    }

    public synchronized void record(WanCounters reading) {
        readings.addLast(reading);
        long horizon = reading.atMs() - window.toMillis();
        while (readings.size() > 1) {
            WanCounters first = readings.pollFirst();
            if (readings.peekFirst().atMs() > horizon) {
                readings.addFirst(first); // the window starts at or before it
                break;
            }
        }
    }

    /**
     * Where a rate over the window ending at {@code now} starts: the start of counting when that
     * is within the window, else the oldest reading kept of the same run before it.
     */
    public synchronized WanCounters baseline(WanCounters now) {
        if (now.atMs() - now.startedMs() <= window.toMillis()) {
            return WanCounters.empty(now.region(), now.startedMs());
        }
        for (WanCounters r : readings) {
            if (r.startedMs() == now.startedMs() && r.atMs() < now.atMs()) {
                return r;
            }
        }
        return WanCounters.empty(now.region(), now.startedMs());
    }
}
