package io.meridian.core.failover;

import io.meridian.core.auth.AccessToken;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the control plane knows, replicated through its Raft group: every region's status, the
 * epoch, the latest report of each region, the failover decisions and the ranges of writes lost
 * in failovers. Every region applies the same {@link Command}s in the same order to its copy, so
 * every copy is identical; nothing here reads a clock or does I/O.
 *
 * <p><b>Life of a failover.</b> A data region is {@code ACTIVE}: it renews a write lease and
 * writes the keys it owns. A decision ({@link Command.Raise}, or an operator's
 * {@link Command.Approve}) <em>fences</em> it: {@code FENCED}, the epoch moves, renewals are
 * refused, and every other data region stops taking the fenced region's writes directly and
 * reports the watermark it froze at. Once every such report is in, and enough regions have reported
 * that they no longer grant the fenced region a lease and the last one they granted has expired,
 * {@link Command.Activate} makes it {@code FAILED}: the cutoff (the
 * highest frozen watermark) is fixed and its keys go to the next region of each keyspace's order.
 * When it comes back it reports its last write ({@link Command.Rejoin}, {@code REJOINED}): its
 * writes after the cutoff never reached another region and are recorded as lost. Failback
 * ({@code DRAINING}) stops the acting regions, waits for their reports of how far they wrote, and
 * {@link Command.Restore} makes it {@code ACTIVE} once it holds all of that.
 */
public final class ControlState {

    public enum Status { ACTIVE, FENCED, FAILED, REJOINED, DRAINING }

    /**
     * One region. {@code fencedEpoch}/{@code drainEpoch}: the epoch its fence or drain began;
     * {@code frozen}: per other data region, the watermark of this region's writes it froze at;
     * {@code drained}: per acting region, its own last sequence once it stopped writing for this one.
     */
    public record Region(String name, boolean witness, Status status, long decision, long fencedEpoch, long cutoff,
                         Map<String, Long> frozen, long drainEpoch, Map<String, Long> drained, long renewals) {
        public Region {
            frozen = Map.copyOf(frozen);
            drained = Map.copyOf(drained);
        }

        Region with(Status s) {
            return new Region(name, witness, s, decision, fencedEpoch, cutoff, frozen, drainEpoch, drained, renewals);
        }
    }

    /** Writes of {@code region} numbered {@code (after, through]}, acknowledged there but never shipped: lost in a failover. */
    public record LostRange(String region, long after, long through, long decision) {
        public boolean contains(long seq) {
            return seq > after && seq <= through;
        }
    }

    public enum DecisionStatus { PENDING, FENCING, FAILED_OVER, REJOINED, DRAINING, RESTORED, REJECTED, WITHDRAWN }

    public record Event(long atMillis, String what) {
    }

    /**
     * What a failover cost: writes the failed region made that no other region received, and how
     * many of them it had answered to their clients ({@code acknowledged}; the others' clients saw
     * an error or a dropped connection).
     */
    public record Rpo(long writesLost, long fromMillis, long toMillis, long acknowledged) {
        public Rpo(long writesLost, long fromMillis, long toMillis) {
            this(writesLost, fromMillis, toMillis, 0);
        }
    }

    /** One failover, from the evidence that raised it to the failback that ended it. */
    public record Decision(long id, String region, String trigger, DecisionStatus status, List<String> evidence,
                           long raisedAtMillis, List<Event> history, Long cutoff, Rpo rpo) {
        public Decision {
            evidence = List.copyOf(evidence);
            history = List.copyOf(history);
        }

        Decision then(DecisionStatus s, long at, String what) {
            List<Event> h = new ArrayList<>(history);
            h.add(new Event(at, what));
            return new Decision(id, region, trigger, s, evidence, raisedAtMillis, h, cutoff, rpo);
        }

        Decision withCutoff(long c) {
            return new Decision(id, region, trigger, status, evidence, raisedAtMillis, history, c, rpo);
        }

        Decision withRpo(Rpo r) {
            return new Decision(id, region, trigger, status, evidence, raisedAtMillis, history, cutoff, r);
        }

        public boolean open() {
            return status != DecisionStatus.RESTORED && status != DecisionStatus.REJECTED && status != DecisionStatus.WITHDRAWN;
        }
    }

    /** The answer to a command: applied or refused (and why), and the epoch after it. */
    public record Outcome(boolean applied, String detail, long epoch, long decision) {
    }

    /**
     * Everything, for snapshots and for {@code GET /v1/failovers}.
     *
     * @param successors per failed-over region, its successors by measured round trip (absent in older snapshots)
     * @param tokens     the access tokens, revoked ones too (absent in older snapshots)
     */
    public record Snapshot(long epoch, List<Region> regions, Map<String, Command.Report> reports,
                           Map<String, List<Long>> onsets, List<LostRange> lost, List<Decision> decisions, long nextDecision,
                           Map<String, List<String>> successors, List<AccessToken> tokens) {
        public Snapshot {
            successors = successors == null ? Map.of() : Map.copyOf(successors);
            tokens = tokens == null ? List.of() : List.copyOf(tokens);
        }

        public Snapshot(long epoch, List<Region> regions, Map<String, Command.Report> reports, Map<String, List<Long>> onsets,
                        List<LostRange> lost, List<Decision> decisions, long nextDecision) {
            this(epoch, regions, reports, onsets, lost, decisions, nextDecision, Map.of(), List.of());
        }
    }

    /** How many onsets of suspicion per region are remembered (enough for any flapping rule). */
    private static final int ONSETS_KEPT = 16;
    /**
     * A report suspecting a region counts towards an ongoing suspicion for this long after it was
     * made: a suspicion is a new onset only when no other region's report this recent shares it.
     */
    public static final long SUSPICION_FRESH_MILLIS = 5_000;

    private long epoch;
    private final Map<String, Region> regions = new LinkedHashMap<>();
    private final Map<String, Command.Report> reports = new TreeMap<>();
    private final Map<String, Deque<Long>> onsets = new HashMap<>();
    private final List<LostRange> lost = new ArrayList<>();
    private final Map<Long, Decision> decisions = new LinkedHashMap<>();
    private long nextDecision = 1;
    private final Map<String, List<String>> successors = new TreeMap<>();
    private final Map<String, AccessToken> tokens = new LinkedHashMap<>();

    /** A fresh state: every data region active, epoch 1. */
    public ControlState(List<String> dataRegions, List<String> witnesses) {
        epoch = 1;
        dataRegions.forEach(r -> regions.put(r, new Region(r, false, Status.ACTIVE, 0, 0, 0, Map.of(), 0, Map.of(), 0)));
        witnesses.forEach(r -> regions.put(r, new Region(r, true, Status.ACTIVE, 0, 0, 0, Map.of(), 0, Map.of(), 0)));
    }

    public static ControlState restore(Snapshot s) {
        ControlState c = new ControlState(List.of(), List.of());
        c.epoch = s.epoch();
        s.regions().forEach(r -> c.regions.put(r.name(), r));
        c.reports.putAll(s.reports());
        s.onsets().forEach((r, times) -> c.onsets.put(r, new ArrayDeque<>(times)));
        c.lost.addAll(s.lost());
        s.decisions().forEach(d -> c.decisions.put(d.id(), d));
        c.nextDecision = s.nextDecision();
        c.successors.putAll(s.successors());
        s.tokens().forEach(t -> c.tokens.put(t.id(), t));
        return c;
    }

    public Snapshot snapshot() {
        Map<String, List<Long>> o = new TreeMap<>();
        onsets.forEach((r, times) -> o.put(r, List.copyOf(times)));
        return new Snapshot(epoch, List.copyOf(regions.values()), Map.copyOf(reports), o, List.copyOf(lost),
                List.copyOf(decisions.values()), nextDecision, Map.copyOf(successors), List.copyOf(tokens.values()));
    }

    // ---- queries ----

    public long epoch() {
        return epoch;
    }

    public Optional<Region> region(String name) {
        return Optional.ofNullable(regions.get(name));
    }

    public Status status(String name) {
        Region r = regions.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no region '" + name + "' in the control plane");
        }
        return r.status();
    }

    public List<Region> regions() {
        return List.copyOf(regions.values());
    }

    public Optional<Command.Report> report(String reporter) {
        return Optional.ofNullable(reports.get(reporter));
    }

    /**
     * For a failed-over region, the other data regions in the order its keys go to under
     * {@code failover-order: auto}: by the round trip measured between them and it (the mean of
     * both directions where both were reported), nearest first; unmeasured ones last, by name.
     * Fixed when the failover activates, so that every region agrees until it is restored.
     */
    public List<String> successors(String region) {
        return successors.getOrDefault(region, List.of());
    }

    /** The data regions by measured round trip to {@code failed}, with the figures (ms) used. */
    private Map<String, Long> measuredRoundTrips(String failed) {
        Map<String, Long> out = new TreeMap<>(roundTrips().getOrDefault(failed, Map.of()));
        out.keySet().removeIf(r -> regions.get(r).witness());
        return out;
    }

    /**
     * The round trip (ms) between every two regions (witnesses included) that either of them
     * measured in its latest report: the mean of both directions where both were reported. Each
     * pair appears both ways; an unmeasured pair is absent.
     */
    public Map<String, Map<String, Long>> roundTrips() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        for (String a : regions.keySet()) {
            for (String b : regions.keySet()) {
                if (a.compareTo(b) >= 0) {
                    continue;
                }
                Long ab = Optional.ofNullable(reports.get(a)).map(rep -> rep.rttMillis().get(b)).orElse(null);
                Long ba = Optional.ofNullable(reports.get(b)).map(rep -> rep.rttMillis().get(a)).orElse(null);
                if (ab != null || ba != null) {
                    long trip = ab != null && ba != null ? (ab + ba) / 2 : ab != null ? ab : ba;
                    out.computeIfAbsent(a, k -> new TreeMap<>()).put(b, trip);
                    out.computeIfAbsent(b, k -> new TreeMap<>()).put(a, trip);
                }
            }
        }
        return out;
    }

    /** The access token with this id, revoked or not. */
    public Optional<AccessToken> token(String id) {
        return Optional.ofNullable(tokens.get(id));
    }

    /** Every access token, revoked ones too, in the order they were made. */
    public List<AccessToken> tokens() {
        return List.copyOf(tokens.values());
    }

    public List<LostRange> lost() {
        return List.copyOf(lost);
    }

    public List<Decision> decisions() {
        return List.copyOf(decisions.values());
    }

    public Optional<Decision> decision(long id) {
        return Optional.ofNullable(decisions.get(id));
    }

    /** The open decision about {@code region}, if any. */
    public Optional<Decision> openDecision(String region) {
        return decisions.values().stream().filter(d -> d.region().equals(region) && d.open()).findFirst();
    }

    /** When the latest suspicion of {@code region} began (its proposer's clock), if it ever was suspected. */
    public Optional<Long> lastOnset(String region) {
        Deque<Long> times = onsets.get(region);
        return times == null || times.isEmpty() ? Optional.empty() : Optional.of(times.getLast());
    }

    /** Onsets of suspicion of {@code region} at or after {@code sinceMillis}. */
    public int onsetsSince(String region, long sinceMillis) {
        return (int) onsets.getOrDefault(region, new ArrayDeque<>()).stream().filter(t -> t >= sinceMillis).count();
    }

    /**
     * The data regions whose watermarks must be in before a fence of {@code region} can become a
     * failover: every other data region still serving (a fenced or failed one cannot report).
     */
    public List<String> frozenReporters(String region) {
        return regions.values().stream()
                .filter(r -> !r.witness() && !r.name().equals(region) && r.status() != Status.FENCED && r.status() != Status.FAILED)
                .map(Region::name).toList();
    }

    /** The regions that may have written for {@code region} while it was away: every other active data region. */
    public List<String> drainReporters(String region) {
        return regions.values().stream()
                .filter(r -> !r.witness() && !r.name().equals(region) && r.status() == Status.ACTIVE)
                .map(Region::name).toList();
    }

    /** True when {@code region} is fenced and every watermark report its failover needs is in. */
    public boolean frozenComplete(String region) {
        Region r = regions.get(region);
        return r != null && r.status() == Status.FENCED && r.frozen().keySet().containsAll(frozenReporters(region));
    }

    /**
     * True when enough other members of the control group have reported, since {@code region} was
     * fenced, that its lease from them has expired and they no longer grant it: the others are too
     * few to be, with it, a majority, so no lease of it can still be valid.
     */
    public boolean leaseExpired(String region) {
        Region r = regions.get(region);
        if (r == null || r.status() != Status.FENCED) {
            return false;
        }
        return leaseConfirmations(r).size() >= leaseConfirmationsNeeded();
    }

    /**
     * Members whose latest report says {@code r}'s lease from them expired: made after its fence, or
     * withholding it (a promise not to grant it that holds until a later report).
     */
    private List<String> leaseConfirmations(Region r) {
        return reports.values().stream().filter(rep -> !rep.reporter().equals(r.name())
                && (rep.epochSeen() >= r.fencedEpoch() && rep.leasesExpired().contains(r.name()) || rep.withheld().containsKey(r.name())))
                .map(Command.Report::reporter).toList();
    }

    /** A lease needs grants from floor(N/2) of the N members' others: this many must have stopped granting it. */
    private int leaseConfirmationsNeeded() {
        int n = regions.size();
        return n - n / 2;
    }

    /** True when {@code region} is draining and every acting region has said how far it wrote. */
    public boolean drainComplete(String region) {
        Region r = regions.get(region);
        return r != null && r.status() == Status.DRAINING && r.drained().keySet().containsAll(drainReporters(region));
    }

    // ---- applying commands ----

    public Outcome apply(Command command) {
        return switch (command) {
            case Command.Report c -> report(c);
            case Command.Renew c -> renew(c);
            case Command.Raise c -> raise(c);
            case Command.Approve c -> approve(c);
            case Command.Reject c -> close(c.decision(), DecisionStatus.REJECTED, c.atMillis(), "rejected by " + c.by());
            case Command.Withdraw c -> close(c.decision(), DecisionStatus.WITHDRAWN, c.atMillis(), "withdrawn: " + c.why());
            case Command.Activate c -> activate(c);
            case Command.Rejoin c -> rejoin(c);
            case Command.Failback c -> failback(c);
            case Command.Restore c -> restore(c);
            case Command.IssueToken c -> issueToken(c);
            case Command.RevokeToken c -> revokeToken(c);
        };
    }

    private Outcome report(Command.Report c) {
        if (!regions.containsKey(c.reporter())) {
            return refused("unknown region '" + c.reporter() + "'");
        }
        for (String suspect : c.suspects()) {
            boolean ongoing = reports.values().stream().anyMatch(earlier -> earlier.suspects().contains(suspect)
                    && earlier.atMillis() >= c.atMillis() - SUSPICION_FRESH_MILLIS);
            if (!ongoing) {
                Deque<Long> times = onsets.computeIfAbsent(suspect, s -> new ArrayDeque<>());
                times.addLast(c.atMillis());
                while (times.size() > ONSETS_KEPT) {
                    times.removeFirst();
                }
            }
        }
        reports.put(c.reporter(), c);
        Region reporter = regions.get(c.reporter());
        Outcome completed = null;
        if (!reporter.witness()) {
            for (Region r : List.copyOf(regions.values())) {
                boolean frozenNow = c.epochSeen() >= r.fencedEpoch() || c.withheld().containsKey(r.name());
                if (r.status() == Status.FENCED && frozenNow && frozenReporters(r.name()).contains(c.reporter())) {
                    Map<String, Long> frozen = new TreeMap<>(r.frozen());
                    frozen.put(c.reporter(), c.withheld().getOrDefault(r.name(), c.watermarks().getOrDefault(r.name(), 0L)));
                    regions.put(r.name(), new Region(r.name(), false, r.status(), r.decision(), r.fencedEpoch(), r.cutoff(),
                            frozen, r.drainEpoch(), r.drained(), r.renewals()));
                }
                if (r.status() == Status.DRAINING && c.epochSeen() >= r.drainEpoch() && drainReporters(r.name()).contains(c.reporter())) {
                    Map<String, Long> drained = new TreeMap<>(r.drained());
                    drained.put(c.reporter(), c.watermarks().getOrDefault(c.reporter(), 0L));
                    regions.put(r.name(), new Region(r.name(), false, r.status(), r.decision(), r.fencedEpoch(), r.cutoff(),
                            r.frozen(), r.drainEpoch(), drained, r.renewals()));
                }
            }
        }
        for (Region r : List.copyOf(regions.values())) {
            if (r.status() == Status.FENCED && frozenComplete(r.name()) && leaseExpired(r.name())) {
                // The report that completes what a failover waits for activates it: one round less than the
                // leader noticing and proposing Activate (which still works, and is refused as done).
                completed = activate(new Command.Activate(r.name(), c.atMillis()));
            }
        }
        return completed != null && completed.applied() ? applied("reported; failed over", completed.decision()) : applied("reported", 0);
    }

    private Outcome renew(Command.Renew c) {
        Region r = regions.get(c.region());
        if (r == null || r.witness()) {
            return refused("'" + c.region() + "' is not a data region");
        }
        if (r.status() != Status.ACTIVE) {
            return refused(c.region() + " is " + r.status().name().toLowerCase(java.util.Locale.ROOT)
                    + " (decision " + r.decision() + "): its lease is not renewed until it is active again");
        }
        regions.put(r.name(), new Region(r.name(), false, r.status(), r.decision(), r.fencedEpoch(), r.cutoff(), r.frozen(),
                r.drainEpoch(), r.drained(), r.renewals() + 1));
        return applied("lease renewed", 0);
    }

    private Outcome raise(Command.Raise c) {
        Region r = regions.get(c.region());
        if (r == null || r.witness()) {
            return refused("'" + c.region() + "' is not a data region");
        }
        if (r.status() == Status.DRAINING && c.act()) {
            // It failed while failing back. It writes nothing while draining and becomes active only by Restore, which
            // a region no longer draining is refused: the acting region can take its keys back at once.
            epoch++;
            regions.put(r.name(), new Region(r.name(), false, Status.REJOINED, r.decision(), r.fencedEpoch(), r.cutoff(), r.frozen(),
                    0, Map.of(), r.renewals()));
            decisions.put(r.decision(), decisions.get(r.decision()).then(DecisionStatus.REJOINED, c.atMillis(),
                    "failback stopped at epoch " + epoch + " (" + c.trigger() + "): its keys go back to the acting region"));
            return applied("failback stopped", r.decision());
        }
        if (r.status() != Status.ACTIVE) {
            return refused(c.region() + " is already " + r.status().name().toLowerCase(java.util.Locale.ROOT));
        }
        Optional<Decision> open = openDecision(c.region());
        if (open.isPresent() && (!c.act() || open.get().status() != DecisionStatus.PENDING)) {
            return refused("decision " + open.get().id() + " about " + c.region() + " is already open");
        }
        Decision d = open.orElseGet(() -> {
            Decision fresh = new Decision(nextDecision++, c.region(), c.trigger(), DecisionStatus.PENDING, c.evidence(),
                    c.atMillis(), List.of(new Event(c.atMillis(), (c.act() ? "raised (" : "pending (") + c.trigger() + ")")),
                    null, null);
            decisions.put(fresh.id(), fresh);
            return fresh;
        });
        return c.act() ? fenceAndActivate(d, c.atMillis(), c.trigger()) : applied("pending", d.id());
    }

    /**
     * Fences {@code d}'s region and, when every region its failover waits for already withholds it
     * (their latest reports promise no lease and a frozen watermark), fails it over in the same
     * step: a fence decided after the lease ran out (the control plane had to elect a leader first)
     * then costs no further round of reports.
     */
    private Outcome fenceAndActivate(Decision d, long at, String why) {
        Outcome fenced = fence(d, at, why);
        if (!fenced.applied()) {
            return fenced;
        }
        Region r = regions.get(d.region());
        Map<String, Long> frozen = new TreeMap<>();
        for (String reporter : frozenReporters(r.name())) {
            Command.Report rep = reports.get(reporter);
            if (rep != null && rep.withheld().containsKey(r.name())) {
                frozen.put(reporter, rep.withheld().get(r.name()));
            }
        }
        regions.put(r.name(), new Region(r.name(), false, r.status(), r.decision(), r.fencedEpoch(), r.cutoff(), frozen,
                r.drainEpoch(), r.drained(), r.renewals()));
        if (frozenComplete(r.name()) && leaseExpired(r.name())) {
            Outcome activated = activate(new Command.Activate(r.name(), at));
            if (activated.applied()) {
                return applied("fenced and failed over (every other region already withheld it)", d.id());
            }
        }
        return fenced;
    }

    private Outcome approve(Command.Approve c) {
        Decision d = decisions.get(c.decision());
        if (d == null) {
            return refused("no decision " + c.decision());
        }
        if (d.status() != DecisionStatus.PENDING) {
            return refused("decision " + d.id() + " is " + d.status().name().toLowerCase(java.util.Locale.ROOT) + ", not pending");
        }
        if (regions.get(d.region()).status() != Status.ACTIVE) {
            return refused(d.region() + " is not active");
        }
        return fenceAndActivate(d, c.atMillis(), "approved by " + c.by());
    }

    private Outcome fence(Decision d, long at, String why) {
        long active = regions.values().stream().filter(r -> !r.witness() && r.status() == Status.ACTIVE).count();
        if (active <= 1) {
            return refused("fencing " + d.region() + " would leave no active data region");
        }
        epoch++;
        Region r = regions.get(d.region());
        regions.put(r.name(), new Region(r.name(), false, Status.FENCED, d.id(), epoch, 0, Map.of(), 0, Map.of(), r.renewals()));
        decisions.put(d.id(), d.then(DecisionStatus.FENCING, at, "fenced at epoch " + epoch + " (" + why + ")"));
        return applied("fenced", d.id());
    }

    private Outcome close(long id, DecisionStatus to, long at, String what) {
        Decision d = decisions.get(id);
        if (d == null) {
            return refused("no decision " + id);
        }
        if (d.status() != DecisionStatus.PENDING) {
            return refused("decision " + id + " is " + d.status().name().toLowerCase(java.util.Locale.ROOT) + ", not pending");
        }
        decisions.put(id, d.then(to, at, what));
        onsets.remove(d.region()); // the evidence has been judged; flapping is counted afresh
        return applied(what, id);
    }

    private Outcome activate(Command.Activate c) {
        Region r = regions.get(c.region());
        if (r == null || r.status() != Status.FENCED) {
            return refused(c.region() + " is not fenced");
        }
        if (!frozenComplete(c.region())) {
            return refused("waiting for watermark reports from " + frozenReporters(c.region()).stream()
                    .filter(x -> !r.frozen().containsKey(x)).toList());
        }
        if (!leaseExpired(c.region())) {
            return refused("waiting for " + leaseConfirmationsNeeded() + " regions to report that " + c.region()
                    + "'s lease has expired (so far " + leaseConfirmations(r) + ")");
        }
        long cutoff = r.frozen().values().stream().mapToLong(Long::longValue).max().orElse(0);
        Map<String, Long> rtts = measuredRoundTrips(r.name());
        List<String> order = regions.values().stream().filter(x -> !x.witness() && !x.name().equals(r.name())).map(Region::name)
                .sorted(java.util.Comparator.comparing((String x) -> rtts.getOrDefault(x, Long.MAX_VALUE))
                        .thenComparing(java.util.Comparator.naturalOrder())).toList();
        successors.put(r.name(), order);
        epoch++;
        regions.put(r.name(), new Region(r.name(), false, Status.FAILED, r.decision(), r.fencedEpoch(), cutoff, r.frozen(),
                0, Map.of(), r.renewals()));
        decisions.put(r.decision(), decisions.get(r.decision()).withCutoff(cutoff)
                .then(DecisionStatus.FAILED_OVER, c.atMillis(), "failed over at epoch " + epoch + " (lease expired as reported by "
                        + leaseConfirmations(r) + "); writes of " + r.name() + " after " + cutoff + " reached no other region;"
                        + " nearest regions by measured round trip " + order.stream().map(x -> x + (rtts.containsKey(x)
                        ? " " + rtts.get(x) + " ms" : " (not measured)")).toList() + " (the order of failover-order: auto)"));
        return applied("failed over", r.decision());
    }

    private Outcome rejoin(Command.Rejoin c) {
        Region r = regions.get(c.region());
        if (r == null || r.status() != Status.FAILED) {
            return refused(c.region() + " has not failed over");
        }
        long through = Math.max(r.cutoff(), c.lastSeq());
        if (through > r.cutoff()) {
            lost.add(new LostRange(r.name(), r.cutoff(), through, r.decision()));
        }
        regions.put(r.name(), r.with(Status.REJOINED));
        Rpo rpo = new Rpo(c.lostWrites(), c.lostFromMillis(), c.lostToMillis(), c.lostAnswered());
        decisions.put(r.decision(), decisions.get(r.decision()).withRpo(rpo).then(DecisionStatus.REJOINED, c.atMillis(),
                "rejoined; " + c.lostWrites() + " writes had reached no other region (" + c.lostAnswered()
                        + " of them acknowledged to their clients)"
                        + (through > r.cutoff() ? " (sequences " + (r.cutoff() + 1) + ".." + through + ")" : "")));
        return applied("rejoined", r.decision());
    }

    private Outcome failback(Command.Failback c) {
        Region r = regions.get(c.region());
        if (r == null || r.status() != Status.REJOINED) {
            return refused(c.region() + " is " + (r == null ? "unknown" : r.status().name().toLowerCase(java.util.Locale.ROOT))
                    + "; only a rejoined region can fail back");
        }
        epoch++;
        regions.put(r.name(), new Region(r.name(), false, Status.DRAINING, r.decision(), r.fencedEpoch(), r.cutoff(), r.frozen(),
                epoch, Map.of(), r.renewals()));
        decisions.put(r.decision(), decisions.get(r.decision()).then(DecisionStatus.DRAINING, c.atMillis(),
                "failback by " + c.by() + ": acting regions stop at epoch " + epoch));
        return applied("draining", r.decision());
    }

    private Outcome restore(Command.Restore c) {
        Region r = regions.get(c.region());
        if (r == null || r.status() != Status.DRAINING) {
            return refused(c.region() + " is not draining");
        }
        if (!drainComplete(c.region())) {
            return refused("waiting for drain reports from " + drainReporters(c.region()).stream()
                    .filter(x -> !r.drained().containsKey(x)).toList());
        }
        epoch++;
        regions.put(r.name(), new Region(r.name(), false, Status.ACTIVE, 0, 0, 0, Map.of(), 0, Map.of(), r.renewals()));
        successors.remove(r.name());
        onsets.remove(r.name()); // the failover's own suspicions are not flapping
        decisions.put(r.decision(), decisions.get(r.decision()).then(DecisionStatus.RESTORED, c.atMillis(),
                "restored at epoch " + epoch + " after holding " + r.drained()));
        return applied("restored", r.decision());
    }

    private Outcome issueToken(Command.IssueToken c) {
        AccessToken t = c.token();
        if (t.equals(tokens.get(t.id()))) {
            return applied("token '" + t.name() + "' issued", 0); // the same command again (a retry): nothing changes
        }
        if (tokens.containsKey(t.id())) {
            return refused("a token with id " + t.id() + " already exists");
        }
        Optional<AccessToken> same = tokens.values().stream().filter(x -> x.name().equals(t.name()) && x.live(c.atMillis())).findFirst();
        if (same.isPresent()) {
            return refused("token '" + t.name() + "' (" + same.get().id() + ") already exists; revoke it first or choose another name");
        }
        tokens.put(t.id(), t);
        return applied("token '" + t.name() + "' issued", 0);
    }

    private Outcome revokeToken(Command.RevokeToken c) {
        AccessToken t = tokens.get(c.id());
        if (t == null) {
            return refused("no token " + c.id());
        }
        if (t.revoked() && t.revokedAtMillis() == c.atMillis() && c.by().equals(t.revokedBy())) {
            return applied("token '" + t.name() + "' revoked", 0); // the same command again (a retry): nothing changes
        }
        if (t.revoked()) {
            return refused("token '" + t.name() + "' (" + t.id() + ") was already revoked by " + t.revokedBy());
        }
        tokens.put(t.id(), t.withRevocation(c.by(), c.atMillis()));
        return applied("token '" + t.name() + "' revoked", 0);
    }

    private Outcome applied(String detail, long decision) {
        return new Outcome(true, detail, epoch, decision);
    }

    private Outcome refused(String detail) {
        return new Outcome(false, detail, epoch, 0);
    }
}
