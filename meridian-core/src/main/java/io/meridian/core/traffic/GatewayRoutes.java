package io.meridian.core.traffic;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a regional gateway sends a request: to one of its own region's healthy instances
 * (round robin), else to the nearest other region whose gateway has healthy instances; a user
 * pinned to a region (the affinity cookie) stays there while its gateway is healthy, and is
 * pinned anew when it is not. A request that already crossed a region is served here or refused,
 * never sent on: two gateways whose instances are all down answer 503 instead of passing a
 * request back and forth.
 */
public final class GatewayRoutes {
    /** On a request one gateway forwards to another: the forwarding gateway's region. */
    public static final String FROM_HEADER = "Meridian-Gateway-From";
    /** The cookie naming the region a user is pinned to. */
    public static final String AFFINITY_COOKIE = "meridian-region";

    private GatewayRoutes() {
    }

    /** Another region's gateway, in the order of nearness, and whether it can serve now. */
    public record Peer(String region, boolean available) {
    }

    public sealed interface Route {
        /** To this region's instance number {@code instance}. */
        record Local(int instance) implements Route {
        }

        /** To the gateway of {@code region}. */
        record Remote(String region) implements Route {
        }

        /** Nowhere: answer 503 saying {@code why}. */
        record Refuse(String why) implements Route {
        }
    }

    /**
     * A decision: the route, and the region to pin the user to from now on (null: keep the pin
     * the request came with).
     */
    public record Decision(Route route, String pin) {
    }

    /**
     * @param region        this gateway's region
     * @param localAvailable per instance of this region, whether it may take requests now
     * @param peers         the other regions' gateways, nearest first
     * @param forwardedFrom the region whose gateway forwarded this request, or null
     * @param affinity      the region the request's cookie pins it to, or null
     * @param turn          a counter for round robin among the available instances
     */
    public static Decision decide(String region, List<Boolean> localAvailable, List<Peer> peers, String forwardedFrom,
                                  String affinity, long turn) {
        List<Integer> available = new ArrayList<>();
        for (int i = 0; i < localAvailable.size(); i++) {
            if (localAvailable.get(i)) {
                available.add(i);
            }
        }
        Route local = available.isEmpty() ? null
                : new Route.Local(available.get((int) Math.floorMod(turn, (long) available.size())));
        if (forwardedFrom != null) {
            return new Decision(local != null ? local : new Route.Refuse("no healthy instance in " + region
                    + ", and the request was already forwarded here by " + forwardedFrom + "'s gateway (it goes no further)"),
                    null);
        }
        if (affinity != null && !affinity.equals(region)) {
            for (Peer p : peers) {
                if (p.region().equals(affinity) && p.available()) {
                    return new Decision(new Route.Remote(affinity), null);
                }
            }
        }
        if (local != null) {
            return new Decision(local, region.equals(affinity) ? null : region);
        }
        for (Peer p : peers) {
            if (p.available()) {
                return new Decision(new Route.Remote(p.region()), p.region().equals(affinity) ? null : p.region());
            }
        }
        return new Decision(new Route.Refuse("no healthy instance in " + region + ", and no other region's gateway has one"),
                null);
    }
}
