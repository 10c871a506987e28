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
        if (!(seqs instanceof Sealed)) {
            seqs = Sealed.of(seqs);
        }
    }

    public long get(String origin) {
        return seqs.getOrDefault(origin, 0L);
    }

    public VersionVector with(String origin, long seq) {
        if (checked(origin, seq) <= get(origin)) {
            return this;
        }
        TreeMap<String, Long> copy = new TreeMap<>(seqs);
        copy.put(origin, seq);
        return new VersionVector(new Sealed(copy));
    }

    public VersionVector merge(VersionVector other) {
        TreeMap<String, Long> copy = new TreeMap<>(seqs);
        other.seqs.forEach((o, s) -> copy.merge(o, s, Math::max));
        return new VersionVector(new Sealed(copy));
    }

    /** @return {@code seq}, once the origin is named and the sequence not negative */
    private static long checked(String origin, long seq) {
        Objects.requireNonNull(origin, "origin");
        if (seq < 0) {
            throw new IllegalArgumentException("negative sequence " + seq + " for " + origin);
        }
        return seq;
    }

    /**
     * The sequences of a vector: sorted by origin, every one positive, unmodifiable. A vector
     * built from one keeps it as it is, so that {@link #with} and {@link #merge} copy the map
     * once, not twice (version vectors were 8 % of the bytes an origin allocated per replicated
     * write; docs/benchmarks.md, "Issue 12, twelfth session").
     */
    private static final class Sealed extends java.util.AbstractMap<String, Long> {
        private final Map<String, Long> view;

        /** @param sorted positive sequences, owned from now on by this map alone */
        private Sealed(TreeMap<String, Long> sorted) {
            this.view = java.util.Collections.unmodifiableMap(sorted);
        }

        static Sealed of(Map<String, Long> seqs) {
            TreeMap<String, Long> copy = new TreeMap<>();
            seqs.forEach((origin, seq) -> {
                if (checked(origin, seq) > 0) {
                    copy.put(origin, seq);
                }
            });
            return new Sealed(copy);
        }

        @Override
        public java.util.Set<Entry<String, Long>> entrySet() {
            return view.entrySet();
        }

        @Override
        public java.util.Set<String> keySet() {
            return view.keySet();
        }

        @Override
        public Long get(Object origin) {
            return view.get(origin);
        }

        @Override
        public Long getOrDefault(Object origin, Long otherwise) {
            return view.getOrDefault(origin, otherwise);
        }

        @Override
        public boolean containsKey(Object origin) {
            return view.containsKey(origin);
        }

        @Override
        public int size() {
            return view.size();
        }

        @Override
        public void forEach(java.util.function.BiConsumer<? super String, ? super Long> action) {
            view.forEach(action);
        }
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
