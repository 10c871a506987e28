package io.meridian.core.replication;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

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
        return ((Sealed) seqs).seq(origin);
    }

    public VersionVector with(String origin, long seq) {
        if (checked(origin, seq) <= get(origin)) {
            return this;
        }
        return new VersionVector(((Sealed) seqs).with(origin, seq));
    }

    public VersionVector merge(VersionVector other) {
        Sealed merged = ((Sealed) seqs).merge((Sealed) other.seqs);
        return merged == seqs ? this : merged == other.seqs ? other : new VersionVector(merged);
    }

    /** @return {@code seq}, once the origin is named and the sequence not negative */
    private static long checked(String origin, long seq) {
        Objects.requireNonNull(origin, "origin");
        if (seq < 0) {
            throw new IllegalArgumentException("negative sequence " + seq + " for " + origin);
        }
        return seq;
    }

    /** True when this includes everything {@code other} includes. */
    public boolean covers(VersionVector other) {
        Sealed theirs = (Sealed) other.seqs;
        for (int i = 0; i < theirs.origins.length; i++) {
            if (get(theirs.origins[i]) < theirs.seqs[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The sequences of a vector: sorted by origin, every one positive, unmodifiable. Two arrays
     * rather than a tree: a vector names a handful of regions, and every replicated write builds
     * several (its context, the watermarks, the stream's acknowledgements). As a copied
     * {@code TreeMap} behind an unmodifiable view they were 15 % of the objects a busy origin
     * allocated (docs/benchmarks.md, "Issue 12, twentieth session").
     */
    private static final class Sealed extends java.util.AbstractMap<String, Long> {
        private static final Sealed NONE = new Sealed(new String[0], new long[0]);
        /** Sorted, distinct. */
        private final String[] origins;
        /** Each above zero: a zero is the same as no entry. */
        private final long[] seqs;

        /** @param origins sorted and distinct, {@code seqs} positive: owned from now on by this map alone */
        private Sealed(String[] origins, long[] seqs) {
            this.origins = origins;
            this.seqs = seqs;
        }

        static Sealed of(Map<String, Long> given) {
            String[] origins = new String[given.size()];
            long[] seqs = new long[given.size()];
            int n = 0;
            for (Entry<String, Long> e : given.entrySet()) {
                if (checked(e.getKey(), e.getValue()) > 0) {
                    // Insertion sort: a vector names a handful of origins, and a sorted map's arrive in order.
                    int i = n++;
                    for (; i > 0 && origins[i - 1].compareTo(e.getKey()) > 0; i--) {
                        origins[i] = origins[i - 1];
                        seqs[i] = seqs[i - 1];
                    }
                    origins[i] = e.getKey();
                    seqs[i] = e.getValue();
                }
            }
            if (n == 0) {
                return NONE;
            }
            return n == origins.length ? new Sealed(origins, seqs) : new Sealed(Arrays.copyOf(origins, n), Arrays.copyOf(seqs, n));
        }

        private int index(String origin) {
            return Arrays.binarySearch(origins, origin);
        }

        long seq(String origin) {
            int i = index(Objects.requireNonNull(origin, "origin"));
            return i < 0 ? 0 : seqs[i];
        }

        /** This with {@code origin} at {@code seq}, which is above what it has. */
        Sealed with(String origin, long seq) {
            int i = index(origin);
            if (i >= 0) {
                long[] raised = seqs.clone();
                raised[i] = seq;
                return new Sealed(origins, raised);
            }
            int at = -i - 1;
            String[] o = new String[origins.length + 1];
            long[] s = new long[origins.length + 1];
            System.arraycopy(origins, 0, o, 0, at);
            System.arraycopy(seqs, 0, s, 0, at);
            o[at] = origin;
            s[at] = seq;
            System.arraycopy(origins, at, o, at + 1, origins.length - at);
            System.arraycopy(seqs, at, s, at + 1, seqs.length - at);
            return new Sealed(o, s);
        }

        /** The higher of each origin's sequences: this or {@code other} themselves when one covers the other. */
        Sealed merge(Sealed other) {
            String[] o = new String[origins.length + other.origins.length];
            long[] s = new long[o.length];
            int i = 0;
            int j = 0;
            int n = 0;
            boolean fromThis = false; // some sequence is higher here than there
            boolean fromOther = false;
            while (i < origins.length || j < other.origins.length) {
                int c = i == origins.length ? 1 : j == other.origins.length ? -1 : origins[i].compareTo(other.origins[j]);
                if (c < 0) {
                    fromThis = true;
                    o[n] = origins[i];
                    s[n++] = seqs[i++];
                } else if (c > 0) {
                    fromOther = true;
                    o[n] = other.origins[j];
                    s[n++] = other.seqs[j++];
                } else {
                    fromThis |= seqs[i] > other.seqs[j];
                    fromOther |= other.seqs[j] > seqs[i];
                    o[n] = origins[i];
                    s[n++] = Math.max(seqs[i++], other.seqs[j++]);
                }
            }
            if (!fromOther) {
                return this;
            }
            if (!fromThis) {
                return other;
            }
            return new Sealed(n == o.length ? o : Arrays.copyOf(o, n), n == s.length ? s : Arrays.copyOf(s, n));
        }

        @Override
        public java.util.Set<Entry<String, Long>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Entry<String, Long>> iterator() {
                    return new java.util.Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < origins.length;
                        }

                        @Override
                        public Entry<String, Long> next() {
                            if (next == origins.length) {
                                throw new java.util.NoSuchElementException();
                            }
                            int i = next++;
                            return Map.entry(origins[i], seqs[i]);
                        }
                    };
                }

                @Override
                public int size() {
                    return origins.length;
                }
            };
        }

        @Override
        public java.util.Set<String> keySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<String> iterator() {
                    return java.util.List.of(origins).iterator();
                }

                @Override
                public boolean contains(Object o) {
                    return containsKey(o);
                }

                @Override
                public int size() {
                    return origins.length;
                }
            };
        }

        @Override
        public Long get(Object origin) {
            int i = origin instanceof String o ? index(o) : -1;
            return i < 0 ? null : seqs[i];
        }

        @Override
        public Long getOrDefault(Object origin, Long otherwise) {
            int i = origin instanceof String o ? index(o) : -1;
            return i < 0 ? otherwise : seqs[i];
        }

        @Override
        public boolean containsKey(Object origin) {
            return origin instanceof String o && index(o) >= 0;
        }

        @Override
        public int size() {
            return origins.length;
        }

        @Override
        public void forEach(java.util.function.BiConsumer<? super String, ? super Long> action) {
            for (int i = 0; i < origins.length; i++) {
                action.accept(origins[i], seqs[i]);
            }
        }

        @Override
        public boolean equals(Object o) {
            if (o instanceof Sealed other) {
                return Arrays.equals(origins, other.origins) && Arrays.equals(seqs, other.seqs);
            }
            return super.equals(o);
        }

        @Override
        public int hashCode() {
            int h = 0;
            for (int i = 0; i < origins.length; i++) {
                h += origins[i].hashCode() ^ Long.hashCode(seqs[i]);
            }
            return h;
        }
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
