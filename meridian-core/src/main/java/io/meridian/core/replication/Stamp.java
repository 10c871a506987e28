package io.meridian.core.replication;

/** Names one write everywhere: the region that originated it, its sequence there, and its HLC. */
public record Stamp(String origin, long seq, Hlc hlc) {
    public Stamp {
        if (seq <= 0) {
            throw new IllegalArgumentException("sequence must be positive: " + seq);
        }
    }

    @Override
    public String toString() {
        return origin + ":" + seq + "@" + hlc;
    }
}
