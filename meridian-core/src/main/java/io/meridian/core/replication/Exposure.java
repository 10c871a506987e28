package io.meridian.core.replication;

import io.meridian.core.config.RpoBudget;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What losing this region now would lose: per keyspace, the writes it originated that no other
 * region is known to hold yet (count, bytes, the oldest one's time). A write leaves once any
 * other region has said it holds it durably (its acknowledgement of a batch, or the watermarks
 * it sends with its own batches and subscriptions); until then it counts, so the figure is never
 * smaller than the truth. It is also what an {@link RpoBudget} is checked against.
 *
 * <p>Exact up to {@link #TRACKED_MAX} writes per keyspace; beyond that (a long outage of every
 * peer) later writes are counted together with the newest tracked one, and leave with it.
 *
 * <p>Pure: times are passed in (wall milliseconds, as writes are stamped). Thread-safe: writes
 * come under the replication lock, acknowledgements from the streams' threads.
 */
public final class Exposure {
    /** Writes tracked one by one per keyspace before later ones are counted together. */
    static final int TRACKED_MAX = 100_000;

    /** Writes up to {@code lastSeq}, the oldest made at {@code atMillis}. */
    private record Pending(long lastSeq, long atMillis, long writes, long bytes) {
    }

    /** One keyspace's exposure: how many writes, how many bytes of values, and when the oldest was made. */
    public record Summary(long writes, long bytes, long oldestMillis) {
        public static final Summary NONE = new Summary(0, 0, 0);

        /** How old the oldest write is at {@code nowMillis}; 0 when there is none. */
        public long oldestAgeMillis(long nowMillis) {
            return writes == 0 ? 0 : Math.max(0, nowMillis - oldestMillis);
        }
    }

    private final Map<String, ArrayDeque<Pending>> pending = new LinkedHashMap<>();
    private final Map<String, long[]> totals = new LinkedHashMap<>();
    private long heldThrough;
    /**
     * Keyspaces with a residency: only the regions that may hold them count as holding their
     * writes, so each has its own high-water mark of what another region holds.
     */
    private final Map<String, Long> heldThroughIn = new LinkedHashMap<>();

    /** @param heldThrough the highest of this region's sequences another region is already known to hold */
    public Exposure(long heldThrough) {
        this.heldThrough = heldThrough;
    }

    /**
     * From now on only {@link #heldElsewhere(long, Predicate)} calls that name {@code keyspace}
     * count as another region holding its writes (those of regions in its residency).
     */
    public synchronized void restrict(String keyspace) {
        heldThroughIn.putIfAbsent(keyspace, heldThrough);
    }

    private long heldThrough(String keyspace) {
        return heldThroughIn.getOrDefault(keyspace, heldThrough);
    }

    /** This region made write {@code seq} of {@code keyspace} at {@code atMillis}, with {@code bytes} of value. */
    public synchronized void written(String keyspace, long seq, long atMillis, long bytes) {
        if (seq <= heldThrough(keyspace)) {
            return;
        }
        ArrayDeque<Pending> q = pending.computeIfAbsent(keyspace, k -> new ArrayDeque<>());
        long[] t = totals.computeIfAbsent(keyspace, k -> new long[2]);
        t[0]++;
        t[1] += bytes;
        if (q.size() >= TRACKED_MAX) {
            Pending last = q.removeLast();
            q.addLast(new Pending(seq, last.atMillis(), last.writes() + 1, last.bytes() + bytes));
        } else {
            q.addLast(new Pending(seq, atMillis, 1, bytes));
        }
    }

    /** Another region holds every write of this region up to {@code seq}. */
    public synchronized void heldElsewhere(long seq) {
        heldElsewhere(seq, keyspace -> true);
    }

    /**
     * Another region holds every write of this region up to {@code seq}, of the keyspaces it may
     * hold: {@code holds} says which of the {@linkplain #restrict restricted} keyspaces those are.
     */
    public synchronized void heldElsewhere(long seq, java.util.function.Predicate<String> holds) {
        heldThrough = Math.max(heldThrough, seq);
        heldThroughIn.replaceAll((keyspace, through) -> holds.test(keyspace) ? Math.max(through, seq) : through);
        pending.forEach((keyspace, q) -> {
            long[] t = totals.get(keyspace);
            long held = heldThrough(keyspace);
            while (!q.isEmpty() && q.peekFirst().lastSeq() <= held) {
                Pending p = q.removeFirst();
                t[0] -= p.writes();
                t[1] -= p.bytes();
            }
        });
    }

    /** True when another region is known to hold this region's write {@code seq} (of a keyspace without a residency). */
    public synchronized boolean held(long seq) {
        return seq <= heldThrough;
    }

    /** True when another region that may hold {@code keyspace} is known to hold this region's write {@code seq} of it. */
    public synchronized boolean held(String keyspace, long seq) {
        return seq <= heldThrough(keyspace);
    }

    /** The highest of this region's sequences another region is known to hold. */
    public synchronized long heldThrough() {
        return heldThrough;
    }

    public synchronized Summary of(String keyspace) {
        ArrayDeque<Pending> q = pending.get(keyspace);
        if (q == null || q.isEmpty()) {
            return Summary.NONE;
        }
        long[] t = totals.get(keyspace);
        return new Summary(t[0], t[1], q.peekFirst().atMillis());
    }

    /** Every keyspace with exposed writes, by name. */
    public synchronized Map<String, Summary> all() {
        Map<String, Summary> out = new TreeMap<>();
        pending.keySet().forEach(k -> {
            Summary s = of(k);
            if (s.writes() > 0) {
                out.put(k, s);
            }
        });
        return out;
    }

    /**
     * Why a write of {@code keyspace} may not be acknowledged before another region holds it, at
     * {@code nowMillis}: its budget is 0, or the oldest write no other region holds is older than
     * the budget. Empty when it may be acknowledged at once.
     */
    public synchronized Optional<String> overBudget(String keyspace, RpoBudget budget, long nowMillis) {
        if (budget.synchronous()) {
            return Optional.of("its rpo-budget is 0: every write waits for another region's copy");
        }
        Summary s = of(keyspace);
        long age = s.oldestAgeMillis(nowMillis);
        if (s.writes() == 0 || age <= budget.budgetMillis()) {
            return Optional.empty();
        }
        return Optional.of(s.writes() + " write" + (s.writes() == 1 ? "" : "s") + " acknowledged here, the oldest " + age
                + " ms ago, are held by no other region yet; its rpo-budget is " + budget.budgetMillis() + " ms");
    }
}
