package io.meridian.core.replication;

/**
 * A hybrid logical clock reading (Kulkarni et al., "Logical Physical Clocks and Consistent
 * Snapshots in Globally Distributed Databases", 2014): wall-clock milliseconds plus a logical
 * counter that orders events within the same millisecond and absorbs clock skew. Ties between
 * regions are broken by the region name where an order is needed ({@link Entry#lwwOrder}).
 */
public record Hlc(long physicalMillis, int logical) implements Comparable<Hlc> {
    public static final Hlc ZERO = new Hlc(0, 0);

    public Hlc {
        if (physicalMillis < 0 || logical < 0) {
            throw new IllegalArgumentException("negative HLC " + physicalMillis + "." + logical);
        }
    }

    @Override
    public int compareTo(Hlc o) {
        int c = Long.compare(physicalMillis, o.physicalMillis);
        return c != 0 ? c : Integer.compare(logical, o.logical);
    }

    public boolean isAfter(Hlc o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        return physicalMillis + "." + logical;
    }
}
