package io.meridian.core.failover;

import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.KeyspaceRules;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Where the control plane's leader should be: the regions in leader-preference order, the one that
 * owns the fewest keyspaces by configuration (as a primary, or as the preferred leader of a strong
 * keyspace) first, ties in configuration order. Each region's Raft priority comes from this order
 * ({@link #priority}: the first f + 1 share the top one), and among those the leadership goes where
 * its loss leaves the closest majority by measured round trips ({@link #preferredLeader}).
 *
 * <p>Two reasons. Losing the control plane's leader costs an election before any failover can
 * commit, so the leader is best placed where a failure needs no failover. And with priorities
 * that differ a leaderless control group elects at the first try: with all equal, two survivors
 * whose election timers fire within a round trip of each other each vote for themselves and both
 * wait another timeout (seen three times in a row after a leader's kill, 176-216 ms apart on the
 * lab's WAN, with timeouts of 1-1.5 s). A lower-priority candidate's pre-vote is refused by a
 * higher-priority peer whose log is as long; a longer log still wins whatever the priority, as Raft
 * requires.
 *
 * <p>Pure: reads the configuration and the round trips it is given.
 */
public final class ControlPlacement {
    private ControlPlacement() {
    }

    /** Every region of {@code regions}, the preferred control plane leader first. */
    public static List<String> order(List<String> regions, List<KeyspaceConfig> keyspaces) {
        Map<String, Long> owned = keyspaces.stream()
                .map(k -> KeyspaceRules.of(k.policy()).namedRegions())
                .filter(named -> !named.isEmpty())
                .collect(Collectors.groupingBy(named -> named.getFirst(), Collectors.counting()));
        Function<String, Long> count = r -> owned.getOrDefault(r, 0L);
        return regions.stream().sorted(Comparator.comparing(count)).toList(); // stable: ties keep their order
    }

    /**
     * Which survivor starts the election at once when a group's {@code leader} is suspected, as
     * seen by {@code self}: among the members that agree the leader is gone (itself, and each peer
     * whose recent word names the leader among its suspects), the one whose copy of the group's log
     * reaches furthest (term, then index, as Raft compares logs); ties go to the earlier in
     * {@code order}, the higher priority. A member whose position is unknown ranks below every known
     * one. One candidate, so no split vote; and the one the others can vote for: Raft refuses a
     * candidate whose log is shorter than the voter's, and such a refused election (it skips the
     * pre-vote) only raised the term, leaving the election to Ratis's timer (2.5 s lost in a drill,
     * when the first survivor in the order was the candidate and held one entry fewer). The others
     * leave it to that timer, which also covers a candidate that cannot win for another reason.
     *
     * @param heard per peer, its word of the last second
     * @param mine  how far this region's copy of the group's log reaches
     */
    public static java.util.Optional<String> campaigner(List<String> order, String group, String leader, String self,
                                                        Map<String, PeerWord> heard, java.util.Optional<PeerWord.LogPosition> mine) {
        java.util.Optional<String> best = java.util.Optional.empty();
        java.util.Optional<PeerWord.LogPosition> bestAt = java.util.Optional.empty();
        for (String m : order) {
            if (m.equals(leader)) {
                continue;
            }
            java.util.Optional<PeerWord.LogPosition> at;
            if (m.equals(self)) {
                at = mine;
            } else {
                PeerWord w = heard.get(m);
                if (w == null || !w.suspects().contains(leader)) {
                    continue;
                }
                at = w.log(group);
            }
            boolean better = best.isEmpty() || (at.isPresent() && (bestAt.isEmpty() || at.get().compareTo(bestAt.get()) > 0));
            if (better) {
                best = java.util.Optional.of(m);
                bestAt = at;
            }
        }
        return best;
    }

    /**
     * Whether {@code self}, suspecting the group's {@code leader}, may start an election for the
     * group {@code order}: a majority of the group, itself included, suspects that leader, counting
     * only the peers it still hears ({@code heard}: per peer, the suspects named in its latest
     * heartbeat answer, recent answers only). A region cut off from the others hears nobody, so it
     * never starts one: its forced elections (which skip Raft's pre-vote) would raise its term once
     * a round trip timed out, and at the heal that term deposes the group's leader (seen in a
     * partition drill: two strong groups at terms 9 and 10 against their leader's 1, and both
     * re-elected after the heal). Nor does a region whose peers still hear the leader.
     */
    public static boolean majorityAgrees(List<String> order, String leader, String self, Map<String, PeerWord> heard) {
        long agree = 1 + order.stream()
                .filter(m -> !m.equals(self) && !m.equals(leader)
                        && heard.getOrDefault(m, PeerWord.NOTHING).suspects().contains(leader))
                .count();
        return agree * 2 > order.size();
    }

    /**
     * Whether a region suspecting {@code suspects} has a majority of the group {@code order} in
     * sight, itself included. A leader without one proposes nothing: its entries could not commit,
     * they would only lengthen the stretch of its log the next leader must walk back one entry per
     * round trip after the heal (Ratis finds the last matching entry that way: 26 s for about 60
     * entries in a drill), and a steady stream of them keeps Ratis's leader from ever running the
     * check that makes a leader without a majority step down (it runs only after a quiet election
     * timeout).
     */
    public static boolean majorityInSight(List<String> order, java.util.Set<String> suspects) {
        return order.stream().filter(m -> !suspects.contains(m)).count() * 2 > order.size();
    }

    /**
     * The Raft priority of a group's member (the control plane's, and each strong keyspace's) at
     * {@code index} of its leader-preference order of {@code size} regions: the first f + 1 (f = the failures a majority survives) share
     * the highest priority, the rest descend. Ratis makes a candidate wait, in pre-vote and vote
     * alike, for the answer of every member with a higher priority than its own, up to an election
     * timeout (1-1.5 s), however many votes it already holds. With distinct priorities the leader
     * is the highest, so when it was cut off (not killed: a dead one refuses at once, a cut-off one
     * never answers) its successor waited out that timeout in each round: a new control leader
     * 4.5 s after the cut in a partition drill, the failover 8.6 s. Sharing the top priority among
     * f + 1 regions, the first survivors in the order wait for no one (the one that campaigns,
     * {@link #campaigner}, is among them unless a lower one holds a longer log); a lower member's
     * candidacy is still refused by a top one whose log is as long. (A strong keyspace's writes are
     * served by its leader, so the replication module hands its leadership back to the first region
     * once that one answers steadily: Ratis hands it back only to a strictly higher priority.)
     */
    public static int priority(int index, int size) {
        int tolerated = (size - 1) / 2;
        return size - Math.max(index, tolerated);
    }

    /** The first f + 1 regions of a group's {@code order}: those sharing its top {@link #priority}. */
    public static List<String> topPriority(List<String> order) {
        return order.subList(0, Math.min(order.size(), (order.size() - 1) / 2 + 1));
    }

    /** Where a group's leadership should go, and why (for the log line that reports the move). */
    public record Preference(String region, String why) {
    }

    /**
     * How long the group {@code order} takes to replace {@code leader} if it is lost: the round
     * trip (ms) within which its best-placed survivor hears from enough others to make a majority
     * of the whole group, both to be elected and to commit as the new leader. Empty when a round
     * trip it needs was never measured, or when too few survivors are left.
     *
     * @param roundTrips per region, the measured round trip to each other one
     *                   ({@link ControlState#roundTrips()})
     */
    public static java.util.OptionalLong successionMillis(List<String> order, Map<String, Map<String, Long>> roundTrips,
                                                         String leader) {
        int othersNeeded = order.size() / 2; // a majority of the group, less the candidate itself
        java.util.OptionalLong best = java.util.OptionalLong.empty();
        for (String candidate : order) {
            if (candidate.equals(leader)) {
                continue;
            }
            Map<String, Long> from = roundTrips.getOrDefault(candidate, Map.of());
            List<Long> trips = new java.util.ArrayList<>();
            for (String voter : order) {
                if (voter.equals(candidate) || voter.equals(leader)) {
                    continue;
                }
                Long trip = from.get(voter);
                if (trip == null) {
                    return java.util.OptionalLong.empty();
                }
                trips.add(trip);
            }
            if (trips.size() < othersNeeded) {
                return java.util.OptionalLong.empty();
            }
            trips.sort(Comparator.naturalOrder());
            long needed = othersNeeded == 0 ? 0 : trips.get(othersNeeded - 1);
            if (best.isEmpty() || needed < best.getAsLong()) {
                best = java.util.OptionalLong.of(needed);
            }
        }
        return best;
    }

    /**
     * Where the control plane's leadership should move from {@code current}, if anywhere: to the
     * region among those sharing the top Raft priority ({@link #priority}) whose loss the group
     * recovers from fastest ({@link #successionMillis}), ties to the earlier in {@code order}. The
     * partition drills showed why: a control leader cut off from two survivors 216 ms apart was
     * replaced and the failover decided 3.3-3.5 s after the cut; with the leader placed so that
     * its survivors were 70 ms apart, 2.1-2.4 s. A lower-priority region is never proposed: Ratis
     * would hand the leadership straight back to a higher one. Empty (stay) when the leadership is
     * already there, when it would gain less than a quarter of the current figure (and at least 20
     * ms; so that two regions measured alike do not trade it back and forth), when a figure is
     * missing, or when {@code current} is not one of the top regions (Ratis moves it itself).
     */
    public static java.util.Optional<Preference> preferredLeader(List<String> order, Map<String, Map<String, Long>> roundTrips,
                                                                 String current) {
        List<String> eligible = topPriority(order);
        if (!eligible.contains(current)) {
            return java.util.Optional.empty();
        }
        Map<String, Long> cost = new java.util.LinkedHashMap<>();
        for (String r : eligible) {
            java.util.OptionalLong c = successionMillis(order, roundTrips, r);
            if (c.isEmpty()) {
                return java.util.Optional.empty();
            }
            cost.put(r, c.getAsLong());
        }
        String best = eligible.stream().min(Comparator.comparing(cost::get)).orElseThrow(); // stable: ties keep their order
        long gain = cost.get(current) - cost.get(best);
        if (best.equals(current) || gain < Math.max(20, cost.get(best) / 4)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Preference(best, "losing " + best + " leaves a majority " + cost.get(best)
                + " ms apart, losing " + current + " one " + cost.get(current) + " ms apart"));
    }
}
