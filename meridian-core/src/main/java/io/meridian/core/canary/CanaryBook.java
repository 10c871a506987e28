package io.meridian.core.canary;

import io.meridian.core.api.CanaryView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one region's canary probes know: the beats it wrote, the beats of every other region it
 * saw become visible (with their staleness), and the outcome of its read-your-writes probes.
 * Pure: times are passed in (wall milliseconds, as beats are stamped); thread-safe.
 *
 * <p>Staleness is the reading region's wall clock at apply minus the source's at the write, so
 * it is exact where regions share a clock (the lab) and off by the clocks' skew elsewhere (NTP
 * keeps that to milliseconds; a figure below the link's one-way delay means the clocks disagree).
 */
public final class CanaryBook {
    /** Beats (and probes) per source (target) that the percentiles of {@link #view} cover. */
    public static final int WINDOW = 60;

    /** The outcome of one read-your-writes probe. */
    public enum Outcome { OK, VIOLATION }

    private final String region;
    private final long intervalMs;
    private long nextN;
    private long written;
    private final Map<String, Seen> sources = new LinkedHashMap<>();
    private final Map<String, Probed> probes = new LinkedHashMap<>();

    /**
     * @param peers     the other data regions, in the order views list them
     * @param lastN     the number of this region's newest beat already stored (0 for none): numbering continues after it
     */
    public CanaryBook(String region, List<String> peers, long intervalMs, long lastN) {
        this.region = region;
        this.intervalMs = intervalMs;
        this.nextN = lastN + 1;
        for (String p : peers) {
            if (!p.equals(region)) {
                sources.put(p, new Seen());
                probes.put(p, new Probed());
            }
        }
    }

    public String region() {
        return region;
    }

    /** The other data regions: the sources of beats here, the targets of this region's probes. */
    public List<String> peers() {
        return List.copyOf(sources.keySet());
    }

    /** The next beat to write, made at {@code nowMillis}. */
    public synchronized Canary.Beat nextBeat(long nowMillis) {
        return new Canary.Beat(region, nextN++, nowMillis);
    }

    /** The beat was written here (durably). */
    public synchronized void written(Canary.Beat beat) {
        written++;
    }

    /**
     * A beat became visible here at {@code nowMillis}.
     *
     * @return its staleness in milliseconds; empty for a beat of this region or of a region not a peer
     */
    public synchronized OptionalLong observed(Canary.Beat beat, long nowMillis) {
        Seen s = sources.get(beat.region());
        if (s == null) {
            return OptionalLong.empty();
        }
        long staleness = Math.max(0, nowMillis - beat.atMs());
        s.count++;
        s.lastN = beat.n();
        s.lastAtMillis = Math.max(s.lastAtMillis, beat.atMs());
        s.lastMs = staleness;
        s.window.add(staleness);
        return OptionalLong.of(staleness);
    }

    /**
     * How old the newest beat of {@code source} visible here is at {@code nowMillis}: while the
     * source's writes arrive, about the staleness plus up to one interval; it grows without bound
     * while they do not. Empty before the first beat.
     */
    public synchronized OptionalLong ageMillis(String source, long nowMillis) {
        Seen s = sources.get(source);
        return s == null || s.count == 0 ? OptionalLong.empty() : OptionalLong.of(Math.max(0, nowMillis - s.lastAtMillis));
    }

    /**
     * Judges a read-your-writes probe: beat {@code wrote} of this region was read in {@code target}
     * with the write's session token, {@code tookMillis} after it was sent, and the answer held
     * {@code read} (empty when the key was absent or the value not a beat of this region). Any
     * answer older than the beat is a violation; a newer one is fine (a later beat was written meanwhile).
     */
    public synchronized Outcome probed(String target, Canary.Beat wrote, Optional<Canary.Beat> read, long tookMillis) {
        Probed p = probes.get(target);
        if (p == null) {
            throw new IllegalArgumentException("'" + target + "' is not a peer of " + region);
        }
        p.count++;
        boolean ok = read.isPresent() && read.get().region().equals(region) && read.get().n() >= wrote.n();
        if (!ok) {
            p.violations++;
            p.lastViolation = "beat " + wrote.n() + " written here, read in " + target + " as "
                    + read.map(b -> "beat " + b.n() + " of " + b.region()).orElse("absent");
            return Outcome.VIOLATION;
        }
        p.window.add(Math.max(0, tookMillis));
        return Outcome.OK;
    }

    /** A read-your-writes probe to {@code target} got no answer (unreachable, timed out, refused). */
    public synchronized void probeFailed(String target) {
        Probed p = probes.get(target);
        if (p != null) {
            p.count++;
            p.failures++;
        }
    }

    public synchronized CanaryView view(long nowMillis) {
        List<CanaryView.Source> out = new ArrayList<>();
        sources.forEach((name, s) -> {
            long[] w = s.window.sorted();
            out.add(new CanaryView.Source(name, s.count, s.count == 0 ? null : s.lastN, s.count == 0 ? null : s.lastMs,
                    s.count == 0 ? null : Math.max(0, nowMillis - s.lastAtMillis), w.length, w.length == 0 ? null : w[0],
                    rank(w, 0.50), rank(w, 0.99),
                    w.length == 0 ? null : w[w.length - 1]));
        });
        List<CanaryView.Ryw> ryw = new ArrayList<>();
        probes.forEach((name, p) -> {
            long[] w = p.window.sorted();
            ryw.add(new CanaryView.Ryw(name, p.count, p.violations, p.failures, p.lastViolation, w.length, rank(w, 0.50),
                    rank(w, 0.99)));
        });
        return new CanaryView(region, intervalMs, written, out, ryw);
    }

    /** The nearest-rank percentile of sorted values; null for none. */
    static Long rank(long[] sorted, double q) {
        if (sorted.length == 0) {
            return null;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The last {@link #WINDOW} values. */
    private static final class Window {
        private final long[] values = new long[WINDOW];
        private int size;
        private int next;

        void add(long v) {
            values[next] = v;
            next = (next + 1) % WINDOW;
            size = Math.min(WINDOW, size + 1);
        }

        long[] sorted() {
            long[] copy = Arrays.copyOf(values, size);
            Arrays.sort(copy);
            return copy;
        }
    }

    private static final class Seen {
        long count;
        long lastN;
        long lastAtMillis = Long.MIN_VALUE;
        long lastMs;
        final Window window = new Window();
    }

    private static final class Probed {
        long count;
        long violations;
        long failures;
        String lastViolation;
        final Window window = new Window();
    }
}
