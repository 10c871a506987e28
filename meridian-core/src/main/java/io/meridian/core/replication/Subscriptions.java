package io.meridian.core.replication;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which peer a region asks for which origin's writes. An origin that is reachable is asked
 * itself: one copy of each write crosses each link. An origin that is not is asked of every
 * reachable peer, so a region that was away catches up on the writes of a region that is now
 * down from whoever has them (duplicates are dropped on apply).
 */
public final class Subscriptions {
    private Subscriptions() {
    }

    /** @return for each reachable peer, the origins to request from it (possibly none) */
    public static Map<String, Set<String>> plan(String self, List<String> regions, Set<String> reachable) {
        Map<String, Set<String>> plan = new LinkedHashMap<>();
        for (String peer : regions) {
            if (!peer.equals(self) && reachable.contains(peer)) {
                plan.put(peer, new TreeSet<>());
            }
        }
        for (String origin : regions) {
            if (origin.equals(self)) {
                continue;
            }
            if (reachable.contains(origin)) {
                plan.get(origin).add(origin);
            } else {
                plan.values().forEach(origins -> origins.add(origin));
            }
        }
        return plan;
    }
}
