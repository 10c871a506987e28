package io.meridian.core.replication;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * For each origin region, the highest sequence number of its writes that a value (or a
 * replica, or a session) includes. Used per key to tell a write that follows another from
 * one that is concurrent with it, and per replica as its watermarks.
 */
public record VersionVector(Map<String, Long> seqs) {
    public static final VersionVector EMPTY = new VersionVector(Map.of());

    public enum Order { BEFORE, EQUAL, AFTER, CONCURRENT }

    public VersionVector {
        TreeMap<String, Long> copy = new TreeMap<>();
        seqs.forEach((origin, seq) -> {
            Objects.requireNonNull(origin, "origin");
            if (seq < 0) {
                throw new IllegalArgumentException("negative sequence " + seq + " for " + origin);
            }
            if (seq > 0) {
                copy.put(origin, seq);
            }
        });
        seqs = java.util.Collections.unmodifiableMap(copy);
    }

    public long get(String origin) {
        return seqs.getOrDefault(origin, 0L);
    }

    public VersionVector with(String origin, long seq) {
        TreeMap<String, Long> copy = new TreeMap<>(seqs);
        copy.merge(origin, seq, Math::max);
        return new VersionVector(copy);
    }

    public VersionVector merge(VersionVector other) {
        TreeMap<String, Long> copy = new TreeMap<>(seqs);
        other.seqs.forEach((o, s) -> copy.merge(o, s, Math::max));
        return new VersionVector(copy);
    }

    /** True when this includes everything {@code other} includes. */
    public boolean covers(VersionVector other) {
        return other.seqs.entrySet().stream().allMatch(e -> get(e.getKey()) >= e.getValue());
    }

    /** How this vector relates to {@code other}: AFTER means this includes other and more. */
    public Order compare(VersionVector other) {
        boolean coversOther = covers(other);
        boolean coveredByOther = other.covers(this);
        if (coversOther && coveredByOther) {
            return Order.EQUAL;
        }
        if (coversOther) {
            return Order.AFTER;
        }
        return coveredByOther ? Order.BEFORE : Order.CONCURRENT;
    }

    @Override
    public String toString() {
        return seqs.toString();
    }
}
