package io.meridian.core.replication;

/**
 * A region's hybrid logical clock. Pure: every wall-clock reading is passed in, so a simulation
 * can drift and jump clocks at will. Readings never go backwards, whatever the wall clock does;
 * {@link #observe} folds in the stamps of writes received from other regions so a region's
 * next write is ordered after every write it has seen.
 */
public final class HybridClock {
    private long physical;
    private int logical;

    /** Restarts the clock above every stamp already issued (from the log, after a restart). */
    public HybridClock(Hlc highWater) {
        this.physical = highWater.physicalMillis();
        this.logical = highWater.logical();
    }

    /** A stamp for a local event, later than every stamp issued or observed so far. */
    public Hlc now(long wallMillis) {
        if (wallMillis > physical) {
            physical = wallMillis;
            logical = 0;
        } else {
            logical = Math.addExact(logical, 1);
        }
        return last();
    }

    /** Folds in a stamp from another region. */
    public Hlc observe(Hlc remote, long wallMillis) {
        long p = Math.max(wallMillis, Math.max(physical, remote.physicalMillis()));
        if (p == physical && p == remote.physicalMillis()) {
            logical = Math.max(logical, remote.logical()) + 1;
        } else if (p == physical) {
            logical = logical + 1;
        } else if (p == remote.physicalMillis()) {
            logical = remote.logical() + 1;
        } else {
            logical = 0;
        }
        physical = p;
        return last();
    }

    public Hlc last() {
        return new Hlc(physical, logical);
    }
}
