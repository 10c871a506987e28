package io.meridian.client;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The regions a client may send to, and in which order it tries them: the healthy ones first,
 * the client's preferred regions before the others, then the nearest (smallest measured round
 * trip), then as configured; the regions that failed recently after them, soonest back first.
 * A region that fails is set aside for a cool-down that doubles with each failure in a row (from
 * {@link #COOL_DOWN_MIN_MILLIS} to {@link #COOL_DOWN_MAX_MILLIS}) or for as long as its
 * {@code Retry-After} asks, whichever is longer; one success brings it back.
 *
 * <p>Pure and synchronized: times are passed in (nanoseconds of a monotonic clock), nothing
 * here sleeps or reads a clock, so the choices are tested exactly.
 */
final class RegionRoster {
    static final long COOL_DOWN_MIN_MILLIS = 1_000;
    static final long COOL_DOWN_MAX_MILLIS = 30_000;
    /** Weight of a new round-trip sample in the moving average. */
    static final double RTT_WEIGHT = 0.3;

    /** One region: its URL, its name once an answer named it, its round trip and its health. */
    static final class Region {
        final int index;
        final URI url;
        String name;
        double rttMillis = Double.NaN;
        int failuresInARow;
        long downUntilNanos;
        boolean down;

        Region(int index, URI url) {
            this.index = index;
            this.url = url;
        }
    }

    private final List<Region> regions = new ArrayList<>();
    private final List<String> preferred;

    /**
     * @param urls      the regions' base URLs
     * @param preferred region names to try first, in this order (empty: by round trip)
     */
    RegionRoster(List<URI> urls, List<String> preferred) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("a client needs at least one region");
        }
        for (int i = 0; i < urls.size(); i++) {
            regions.add(new Region(i, urls.get(i)));
        }
        this.preferred = List.copyOf(preferred);
    }

    int size() {
        return regions.size();
    }

    synchronized URI url(int region) {
        return regions.get(region).url;
    }

    /** The region's name as its answers gave it, else its URL's authority. */
    synchronized String name(int region) {
        Region r = regions.get(region);
        return r.name != null ? r.name : r.url.getAuthority();
    }

    synchronized void named(int region, String name) {
        if (name != null && !name.isBlank()) {
            regions.get(region).name = name;
        }
    }

    /** A round trip measured to the region (a health probe). */
    synchronized void measured(int region, double rttMillis) {
        Region r = regions.get(region);
        r.rttMillis = Double.isNaN(r.rttMillis) ? rttMillis : r.rttMillis + RTT_WEIGHT * (rttMillis - r.rttMillis);
    }

    synchronized double rttMillis(int region) {
        return regions.get(region).rttMillis;
    }

    /** The region answered: it is healthy again. */
    synchronized void succeeded(int region) {
        Region r = regions.get(region);
        r.failuresInARow = 0;
        r.down = false;
    }

    /**
     * The region failed a request (no connection, no answer in time, or 503): set aside until
     * its cool-down, or its {@code Retry-After} ({@code retryAfterMillis}, 0 when it sent none), passes.
     */
    synchronized void failed(int region, long nowNanos, long retryAfterMillis) {
        Region r = regions.get(region);
        long coolDown = Math.min(COOL_DOWN_MAX_MILLIS, COOL_DOWN_MIN_MILLIS << Math.min(r.failuresInARow, 20));
        r.failuresInARow++;
        r.down = true;
        r.downUntilNanos = nowNanos + Math.max(coolDown, retryAfterMillis) * 1_000_000;
    }

    /** True while the region is set aside. */
    synchronized boolean isDown(int region, long nowNanos) {
        Region r = regions.get(region);
        return r.down && nowNanos - r.downUntilNanos < 0;
    }

    /** When a region set aside may be tried again (nanoseconds); {@code nowNanos} when it is not set aside. */
    synchronized long upAtNanos(int region, long nowNanos) {
        return isDown(region, nowNanos) ? regions.get(region).downUntilNanos : nowNanos;
    }

    /** The order to try the regions in now (indexes). */
    synchronized List<Integer> order(long nowNanos) {
        Comparator<Region> healthyOrder = Comparator.<Region>comparingInt(r -> preferenceRank(r))
                .thenComparingDouble(r -> Double.isNaN(r.rttMillis) ? Double.MAX_VALUE : r.rttMillis)
                .thenComparingInt(r -> r.index);
        List<Region> healthy = new ArrayList<>();
        List<Region> down = new ArrayList<>();
        for (Region r : regions) {
            (isDown(r.index, nowNanos) ? down : healthy).add(r);
        }
        healthy.sort(healthyOrder);
        down.sort(Comparator.<Region>comparingLong(r -> r.downUntilNanos - nowNanos).thenComparing(healthyOrder));
        List<Integer> order = new ArrayList<>();
        healthy.forEach(r -> order.add(r.index));
        down.forEach(r -> order.add(r.index));
        return order;
    }

    private int preferenceRank(Region r) {
        int rank = r.name == null ? -1 : preferred.indexOf(r.name);
        return rank < 0 ? preferred.size() : rank;
    }
}
