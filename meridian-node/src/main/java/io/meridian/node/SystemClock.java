package io.meridian.node;

import io.meridian.core.time.Clock;

/** The machine's clocks: the one place a running node reads them, handed to every shell. */
final class SystemClock implements Clock {
    static final Clock INSTANCE = new SystemClock();

    private SystemClock() {
    }

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
}
