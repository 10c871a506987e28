package io.meridian.core.crdt;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The dots a replica of one object has seen: per region a contiguous prefix (the vector) and the
 * dots beyond a gap (the cloud). Kept compact: a dot that closes a gap moves into the vector, so
 * once every delta has arrived the context is one number per region.
 */
public record CausalContext(Map<String, Long> vector, Set<Dot> cloud) {
    public static final CausalContext EMPTY = new CausalContext(Map.of(), Set.of());

    public CausalContext {
        vector = java.util.Collections.unmodifiableMap(new TreeMap<>(vector));
        cloud = java.util.Collections.unmodifiableSet(new TreeSet<>(cloud));
    }

    public static CausalContext of(Collection<Dot> dots) {
        return EMPTY.withAll(dots);
    }

    public boolean contains(Dot d) {
        return d.counter() <= vector.getOrDefault(d.region(), 0L) || cloud.contains(d);
    }

    /** The highest counter seen of {@code region}'s dots. */
    public long max(String region) {
        long max = vector.getOrDefault(region, 0L);
        for (Dot d : cloud) {
            if (d.region().equals(region)) {
                max = Math.max(max, d.counter());
            }
        }
        return max;
    }

    /** A dot {@code region} has not used in this object. */
    public Dot next(String region) {
        return new Dot(region, max(region) + 1);
    }

    public CausalContext withAll(Collection<Dot> dots) {
        Map<String, Long> v = new TreeMap<>(vector);
        Set<Dot> c = new TreeSet<>(cloud);
        c.addAll(dots);
        return compact(v, c);
    }

    public CausalContext merge(CausalContext other) {
        Map<String, Long> v = new TreeMap<>(vector);
        other.vector.forEach((r, n) -> v.merge(r, n, Math::max));
        Set<Dot> c = new TreeSet<>(cloud);
        c.addAll(other.cloud);
        return compact(v, c);
    }

    private static CausalContext compact(Map<String, Long> v, Set<Dot> c) {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (java.util.Iterator<Dot> it = c.iterator(); it.hasNext(); ) {
                Dot d = it.next();
                long have = v.getOrDefault(d.region(), 0L);
                if (d.counter() <= have) {
                    it.remove();
                } else if (d.counter() == have + 1) {
                    v.put(d.region(), d.counter());
                    it.remove();
                    moved = true;
                }
            }
        }
        return new CausalContext(v, c);
    }
}
