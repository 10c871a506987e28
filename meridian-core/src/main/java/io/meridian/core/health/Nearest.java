package io.meridian.core.health;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Picks, among some regions, the one to send a client to: by what this region measured of them. */
public final class Nearest {
    private Nearest() {
    }

    /**
     * The reachable region of {@code candidates} with the lowest average probe round trip, or, when
     * none was heard from, the first of {@code candidates}. {@code self} wins when it is a candidate.
     *
     * @param peers this region's view of its peers (regions it does not probe count as unheard)
     */
    public static String of(List<String> candidates, String self, List<PeerHealth> peers) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no region to choose from");
        }
        if (candidates.contains(self)) {
            return self;
        }
        Map<String, PeerHealth> byRegion = peers.stream().collect(Collectors.toMap(PeerHealth::region, Function.identity(), (a, b) -> a));
        return candidates.stream()
                .filter(r -> byRegion.containsKey(r) && byRegion.get(r).reachable() && !Double.isNaN(byRegion.get(r).avgRttMillis()))
                .min(Comparator.comparingDouble(r -> byRegion.get(r).avgRttMillis()))
                .orElse(candidates.getFirst());
    }
}
