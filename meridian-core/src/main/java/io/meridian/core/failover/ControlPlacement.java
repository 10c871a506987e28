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
 * keyspace) first, ties in configuration order. Each region gets its own Raft priority from this
 * order.
 *
 * <p>Two reasons. Losing the control plane's leader costs an election before any failover can
 * commit, so the leader is best placed where a failure needs no failover. And with distinct
 * priorities a leaderless control group elects at the first try: with equal ones, two survivors
 * whose election timers fire within a round trip of each other each vote for themselves and both
 * wait another timeout (seen three times in a row after a leader's kill, 176-216 ms apart on the
 * lab's WAN, with timeouts of 1-1.5 s). A lower-priority candidate's pre-vote is refused by a
 * higher-priority peer whose log is as long; a longer log still wins whatever the priority, as Raft
 * requires.
 *
 * <p>Pure: reads the configuration only.
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
     * Which region starts the election at once when the control plane's {@code leader} is
     * suspected, as seen by a region suspecting {@code suspects}: the first of {@code order}, other
     * than the leader, that it does not suspect. One candidate, so no split vote; the region with
     * the highest priority among the survivors, so its candidacy is the one the others accept when
     * logs are as long. The others leave it to Ratis's election timer (which also covers a designated
     * candidate whose log is shorter, or that is itself unreachable to the others).
     */
    public static java.util.Optional<String> campaigner(List<String> order, String leader, java.util.Set<String> suspects) {
        return order.stream().filter(r -> !r.equals(leader) && !suspects.contains(r)).findFirst();
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
    public static boolean majorityAgrees(List<String> order, String leader, String self, Map<String, java.util.Set<String>> heard) {
        long agree = 1 + order.stream()
                .filter(m -> !m.equals(self) && !m.equals(leader) && heard.getOrDefault(m, java.util.Set.of()).contains(leader))
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
     * The Raft priority of the control group's member at {@code index} of its leader-preference
     * order of {@code size} regions: the first f + 1 (f = the failures a majority survives) share
     * the highest priority, the rest descend. Ratis makes a candidate wait, in pre-vote and vote
     * alike, for the answer of every member with a higher priority than its own, up to an election
     * timeout (1-1.5 s), however many votes it already holds. With distinct priorities the leader
     * is the highest, so when it was cut off (not killed: a dead one refuses at once, a cut-off one
     * never answers) its successor waited out that timeout in each round: a new control leader
     * 4.5 s after the cut in a partition drill, the failover 8.6 s. Sharing the top priority among
     * f + 1 regions, the survivor that campaigns ({@link #campaigner}) is always among them and waits
     * for no one; a lower member's candidacy is still refused by a top one whose log is as long.
     */
    public static int priority(int index, int size) {
        int tolerated = (size - 1) / 2;
        return size - Math.max(index, tolerated);
    }
}
