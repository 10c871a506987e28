package io.meridian.core.time;

/**
 * The two clocks a region reads: the wall clock (milliseconds since the epoch, for timestamps
 * other regions compare) and a monotonic clock (nanoseconds, for timeouts and leases, never
 * stepped). The node's shells take one instead of reading the system's, so tests can drive
 * time by hand. The machine's clocks are the node's {@code SystemClock}: core reads none.
 */
public interface Clock {

    long wallMillis();

    long monotonicNanos();
}
