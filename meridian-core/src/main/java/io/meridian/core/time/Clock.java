package io.meridian.core.time;

/**
 * The two clocks a region reads: the wall clock (milliseconds since the epoch, for timestamps
 * other regions compare) and a monotonic clock (nanoseconds, for timeouts and leases, never
 * stepped). The node's shells take one instead of reading the system's, so tests can drive
 * time by hand ({@code ManualClock} in meridian-testkit).
 */
public interface Clock {

    long wallMillis();

    long monotonicNanos();

    /** The machine's clocks. */
    Clock SYSTEM = new Clock() {
        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public long monotonicNanos() {
            return System.nanoTime();
        }

        @Override
        public String toString() {
            return "system clock";
        }
    };
}
