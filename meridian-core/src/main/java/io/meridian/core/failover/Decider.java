package io.meridian.core.failover;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The control plane leader's judgement, run every few hundred milliseconds: which regions have
 * failed, what to do about them under the deployment's policy, and which fenced regions may now
 * fail over. Pure: the leader's own observation (can it reach a region's readiness check) is
 * passed in.
 *
 * <p>A region is <b>failed</b> when a majority of the other live regions suspect it and its
 * readiness check fails from here. The case is <b>clear-cut</b> when every other live region
 * suspects it and it is not flapping. Policies: {@code auto} acts on failed; {@code hybrid} acts
 * on clear-cut and raises a pending decision for anything else suspicious (a partial partition,
 * flapping, replication stalled behind a region that answers); {@code manual} raises a pending
 * decision for all of it. A pending decision is withdrawn once its evidence is gone.
 */
public final class Decider {
    /**
     * A suspicion that is not (yet) clear-cut is put to an operator only after it has lasted this
     * long: a region that dies is usually suspected by one peer a moment before the others, and
     * that moment is not a partial partition.
     */
    static final long ASK_AFTER_MILLIS = 3_000;

    private Decider() {
    }

    /**
     * @param nowMillis     the leader's wall clock (reports carry their proposers' clocks)
     * @param readyFromHere per region, whether its readiness check answered ready from here (absent: not checked)
     * @param heard         per region, whom it suspects by its own word heard just now (on its latest
     *                      heartbeat, or the judge's own detector), whether or not its report is committed
     *                      yet: a new control leader need not wait a report's two round trips to count a
     *                      survivor that told it on a heartbeat (absent: nothing heard). Where a region's
     *                      word is present, it stands for that region instead of its committed report, in
     *                      both directions: it is the newer of the two
     */
    public record Inputs(long nowMillis, Map<String, Boolean> readyFromHere, Map<String, Set<String>> heard) {
        public Inputs {
            readyFromHere = Map.copyOf(readyFromHere);
            heard = Map.copyOf(heard);
        }

        public Inputs(long nowMillis, Map<String, Boolean> readyFromHere) {
            this(nowMillis, readyFromHere, Map.of());
        }
    }

    /**
     * What one region's situation looks like to the leader.
     *
     * @param voters the other regions not fenced or failed over, whose reports count
     * @param others every other region of the control plane, fenced and failed ones included
     */
    public record Assessment(String region, List<String> suspecters, List<String> voters, int others, boolean readinessFails,
                             boolean flapping, List<String> stalledBy, List<String> heardOnly) {
        public Assessment {
            suspecters = List.copyOf(suspecters);
            voters = List.copyOf(voters);
            stalledBy = List.copyOf(stalledBy);
            heardOnly = List.copyOf(heardOnly);
        }

        /**
         * A majority of the live regions suspect it, and they are a majority of all the others: with
         * one region already fenced, a lone survivor does not fail another over on its own view (at a
         * lab's start, one region not yet serving was failed over, and then a second on the word of
         * the third alone; a 2-second pause of a live region looked the same to a lone judge).
         */
        public boolean majority() {
            return suspecters.size() * 2 > voters.size() && suspecters.size() * 2 > others;
        }

        public boolean everyone() {
            return !voters.isEmpty() && suspecters.size() == voters.size() && suspecters.size() * 2 > others;
        }

        public boolean failed() {
            return majority() && readinessFails;
        }

        public boolean clearCut() {
            return everyone() && readinessFails && !flapping;
        }

        /** Whether {@code policy} fails the region over on this evidence without an operator. */
        public boolean actsUnder(FailoverSettings.Policy policy) {
            return switch (policy) {
                case AUTO -> failed();
                case HYBRID -> clearCut();
                case MANUAL -> false;
            };
        }

        public boolean suspicious() {
            return !suspecters.isEmpty() || flapping || !stalledBy.isEmpty();
        }

        List<String> evidence() {
            List<String> e = new ArrayList<>();
            e.add("suspected by " + (suspecters.isEmpty() ? "no region" : String.join(", ", suspecters)) + " of "
                    + voters.size() + " live regions (" + String.join(", ", voters) + ")");
            if (!heardOnly.isEmpty()) {
                e.add("not yet in a committed report, the suspicion of " + String.join(", ", heardOnly)
                        + " (heard on heartbeats, or the deciding region's own)");
            }
            e.add(readinessFails ? "readiness check fails from the control plane leader" : "readiness check answers from the control plane leader");
            if (flapping) {
                e.add("flapping: suspected and cleared repeatedly");
            }
            if (!stalledBy.isEmpty()) {
                e.add("replication from it stalled as seen by " + String.join(", ", stalledBy) + " while it answers");
            }
            return e;
        }
    }

    public static Assessment assess(ControlState state, FailoverSettings f, String region, Inputs in) {
        return assess(state, f, region, in, null);
    }

    /** As {@link #assess(ControlState, FailoverSettings, String, Inputs)}, with {@code own} as its reporter's latest report. */
    private static Assessment assess(ControlState state, FailoverSettings f, String region, Inputs in, Command.Report own) {
        long fresh = in.nowMillis() - f.reportTtl().toMillis();
        List<String> voters = new ArrayList<>();
        List<String> suspecters = new ArrayList<>();
        List<String> stalledBy = new ArrayList<>();
        List<String> heardOnly = new ArrayList<>();
        int others = 0;
        for (ControlState.Region r : state.regions()) {
            others += r.name().equals(region) ? 0 : 1;
            if (r.name().equals(region) || r.status() == ControlState.Status.FENCED || r.status() == ControlState.Status.FAILED) {
                continue;
            }
            voters.add(r.name());
            Optional<Command.Report> report = (own != null && own.reporter().equals(r.name()) ? Optional.of(own)
                    : state.report(r.name())).filter(rep -> rep.atMillis() >= fresh);
            boolean reported = report.isPresent() && report.get().suspects().contains(region);
            boolean heard = in.heard().getOrDefault(r.name(), Set.of()).contains(region);
            // A region's word heard just now is newer than its committed report: where there is one, it stands
            // alone, so a suspicion withdrawn on a heartbeat no longer counts while the report saying so is on its
            // way (a CI run raised a region whose failback had just begun, on two suspicions both regions had
            // withdrawn 0.1-0.3 s before: one's own, one heard).
            if (in.heard().containsKey(r.name()) ? heard : reported) {
                suspecters.add(r.name());
            }
            if (heard && !reported) {
                heardOnly.add(r.name());
            }
            if (report.isPresent() && report.get().stalled().contains(region)) {
                stalledBy.add(r.name());
            }
        }
        boolean readinessFails = !in.readyFromHere().getOrDefault(region, true);
        // A suspicion only heard so far is an onset the log has not counted yet: count it, or a region's third
        // episode would look like its second until the reports arrive, and be acted on as not flapping.
        int unrecorded = !heardOnly.isEmpty() && heardOnly.size() == suspecters.size() ? 1 : 0;
        boolean flapping = state.onsetsSince(region, in.nowMillis() - f.flapWindow().toMillis()) + unrecorded >= f.flapOnsets();
        return new Assessment(region, suspecters, voters, others, readinessFails, flapping, stalledBy, heardOnly);
    }

    /**
     * The failovers a region raises itself as it sends {@code own}, its report: those its policy
     * acts on once that report is counted, with {@code in} holding this region's own readiness
     * probes. The report that completes the evidence then brings the decision with it, instead of
     * the control plane's leader noticing it a commit later (after a leader's death, the new leader
     * gets every survivor's report at once). Only decisions to act: asking an operator, withdrawing
     * and activating stay with the leader. A second raise of a region already fenced is refused.
     */
    public static List<Command> raisesOnReport(ControlState state, FailoverSettings f, Command.Report own, Inputs in) {
        List<Command> out = new ArrayList<>();
        if (f.policy() == FailoverSettings.Policy.MANUAL) {
            return out;
        }
        for (String suspect : own.suspects()) {
            Optional<ControlState.Region> r = state.region(suspect);
            if (r.isEmpty() || r.get().witness() || r.get().status() != ControlState.Status.ACTIVE || suspect.equals(own.reporter())) {
                continue;
            }
            Assessment a = assess(state, f, suspect, in, own);
            boolean act = a.actsUnder(f.policy());
            if (act) {
                List<String> evidence = new ArrayList<>(a.evidence());
                evidence.replaceAll(e -> e.replace("from the control plane leader", "from " + own.reporter()
                        + ", whose report completed the evidence"));
                out.add(new Command.Raise(suspect, true, f.policy().configName() + (f.policy() == FailoverSettings.Policy.HYBRID
                        ? ": clear-cut" : ""), evidence, in.nowMillis()));
            }
        }
        return out;
    }

    public static List<Command> decide(ControlState state, FailoverSettings f, String self, Inputs in) {
        List<Command> out = new ArrayList<>();
        long now = in.nowMillis();
        for (ControlState.Region r : state.regions()) {
            if (r.witness()) {
                continue;
            }
            switch (r.status()) {
                case ACTIVE -> {
                    if (r.name().equals(self)) {
                        continue; // a leader never judges itself: if it leads, it is alive
                    }
                    Assessment a = assess(state, f, r.name(), in);
                    Optional<ControlState.Decision> pending = state.openDecision(r.name())
                            .filter(d -> d.status() == ControlState.DecisionStatus.PENDING);
                    boolean act = a.actsUnder(f.policy());
                    boolean lasting = a.flapping() || !a.stalledBy().isEmpty()
                            || state.lastOnset(r.name()).map(t -> now - t >= ASK_AFTER_MILLIS).orElse(false);
                    boolean ask = f.policy() != FailoverSettings.Policy.AUTO && a.suspicious() && lasting;
                    if (act) {
                        out.add(new Command.Raise(r.name(), true, f.policy().configName() + (f.policy() == FailoverSettings.Policy.HYBRID
                                ? ": clear-cut" : ""), a.evidence(), now));
                    } else if (ask && pending.isEmpty()) {
                        out.add(new Command.Raise(r.name(), false, f.policy().configName() + ": needs an operator",
                                a.evidence(), now));
                    } else if (!a.suspicious() && pending.isPresent()) {
                        out.add(new Command.Withdraw(pending.get().id(), "no region suspects " + r.name() + " any more", now));
                    }
                }
                case DRAINING -> {
                    // A region that fails while failing back: nobody writes its keys while it drains, and it cannot finish.
                    // Stop the failback so the acting region writes them again.
                    Assessment a = assess(state, f, r.name(), in);
                    boolean act = a.actsUnder(f.policy());
                    if (act) {
                        out.add(new Command.Raise(r.name(), true, f.policy().configName() + ": failed while failing back",
                                a.evidence(), now));
                    }
                }
                case FENCED -> {
                    if (state.frozenComplete(r.name()) && state.leaseExpired(r.name())) {
                        out.add(new Command.Activate(r.name(), now));
                    }
                }
                default -> {
                }
            }
        }
        return out;
    }
}
