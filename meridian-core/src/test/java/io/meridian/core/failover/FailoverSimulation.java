package io.meridian.core.failover;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Regions running {@link RegionAgent} against a simulated clock and network, with a control
 * plane modelled as one ordered log that commits while a leader reaches a majority, and the
 * leader running {@link Decider}. Faults: crashes, isolation, one-way cuts, partial partitions,
 * flapping; each region's monotonic clock runs at its own rate. At every step it checks that no
 * two regions may write one home's keys at once; it records what else the test asserts.
 */
final class FailoverSimulation {
    static final long STEP_MS = 10;
    static final long AGENT_EVERY_MS = 50;
    static final long DECIDE_EVERY_MS = 250;
    static final long COMMIT_MS = 120;
    /**
     * How long a leaderless control plane takes to elect: the survivor first in the control order
     * starts an election once its detector suspects the leader (about half a second to a second
     * in the lab) and wins in a vote round; when that candidate cannot win, Ratis's own timer
     * elects one in one to three seconds. Drawn per election between these.
     */
    static final long ELECTION_MIN_MS = 700;
    static final long ELECTION_MAX_MS = 3_000;
    long electionMs = ELECTION_MIN_MS;

    record Fault(String kind, String region, String other, long fromMs, long toMs) {
        boolean activeAt(long t) {
            return t >= fromMs && t < toMs;
        }
    }

    final long seed;
    final Random random;
    final List<String> data;
    final List<String> witnesses;
    final List<String> all = new ArrayList<>();
    final FailoverSettings settings;
    final List<Fault> faults = new ArrayList<>();
    final Map<String, Double> rate = new HashMap<>();
    final Map<String, Long> wallOffset = new HashMap<>();
    final Map<String, RegionAgent> agents = new LinkedHashMap<>();
    final Map<String, ControlState> copies = new HashMap<>();
    final Map<String, Integer> applied = new HashMap<>();
    final Map<String, Long> started = new HashMap<>();
    final Map<String, Long> counter = new HashMap<>();
    final Map<String, Map<String, Long>> seen = new HashMap<>();
    final ControlState canonical;
    final List<Command> log = new ArrayList<>();
    final List<Long> commitTimes = new ArrayList<>();
    final List<ControlState.Outcome> outcomes = new ArrayList<>();
    record Pending(String proposer, Command command, long commitAt, long sentNanos) {
    }
    final List<Pending> inFlight = new ArrayList<>();
    final Map<Long, Long> operatorAt = new HashMap<>();
    final Map<String, Long> failbackAt = new HashMap<>();
    final long faultsEndMs;
    final long endMs;
    String leader;
    /** Who led the control plane when the first fault began. */
    String leaderAtFault;
    long leaderlessSince = 0;
    long t;

    // What the test asserts on.
    final List<String> violations = new ArrayList<>();
    final Map<String, Map<Long, String>> actingByEpoch = new HashMap<>();
    final List<Long> fencedAt = new ArrayList<>();
    final Map<String, Long> firstActivation = new HashMap<>();
    final Map<String, String> lastWriter = new HashMap<>();

    FailoverSimulation(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
        int shape = random.nextInt(3);
        data = switch (shape) {
            case 0 -> List.of("a", "b", "c");
            case 1 -> List.of("a", "b");
            default -> List.of("a", "b", "c", "d", "e");
        };
        witnesses = shape == 1 ? List.of("w") : List.of();
        all.addAll(data);
        all.addAll(witnesses);
        FailoverSettings.Policy policy = FailoverSettings.Policy.values()[random.nextInt(3)];
        settings = new FailoverSettings(policy, FailoverSettings.DEFAULT.heartbeat(), FailoverSettings.DEFAULT.phiThreshold(),
                FailoverSettings.DEFAULT.acceptablePause(), FailoverSettings.DEFAULT.lease(), FailoverSettings.DEFAULT.renewEvery(),
                FailoverSettings.DEFAULT.reportEvery(), FailoverSettings.DEFAULT.flapOnsets(), FailoverSettings.DEFAULT.flapWindow(),
                random.nextBoolean());
        canonical = new ControlState(data, witnesses);
        for (String r : all) {
            rate.put(r, 1.0 + (random.nextDouble() - 0.5) * 0.02); // ±1 %
            wallOffset.put(r, (long) random.nextInt(101) - 50);     // ±50 ms
            agents.put(r, new RegionAgent(r, all.stream().filter(p -> !p.equals(r)).toList(), settings, 0));
            copies.put(r, new ControlState(data, witnesses));
            applied.put(r, 0);
            started.put(r, 0L);
            counter.put(r, 0L);
            seen.put(r, new HashMap<>());
        }
        faultsEndMs = 40_000;
        endMs = faultsEndMs + 60_000;
        leader = data.getFirst();
    }

    String policy() {
        return settings.policy().configName();
    }

    // ---- faults ----

    void addRandomFaults(boolean blipsOnly) {
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
            String r = all.get(random.nextInt(all.size()));
            String other = all.stream().filter(x -> !x.equals(r)).toList().get(random.nextInt(all.size() - 1));
            long from = 3_000 + random.nextInt(30_000);
            long length = blipsOnly ? 50 + random.nextInt(400) : random.nextBoolean() ? 50 + random.nextInt(400) : 4_000 + random.nextInt(12_000);
            int kind = random.nextInt(blipsOnly ? 4 : 5);
            switch (kind) {
                case 0 -> faults.add(new Fault("kill", r, null, from, from + length));
                case 1 -> faults.add(new Fault("isolate", r, null, from, from + length));
                case 2 -> faults.add(new Fault("one-way", r, other, from, from + length));
                case 3 -> faults.add(new Fault("partial", r, other, from, from + length));
                default -> {
                    for (int k = 0; k < 5; k++) {
                        long start = from + k * 2_700L;
                        faults.add(new Fault("isolate", r, null, start, start + 1_200));
                    }
                }
            }
        }
    }

    boolean alive(String r) {
        return faults.stream().noneMatch(f -> f.kind().equals("kill") && f.region().equals(r) && f.activeAt(t));
    }

    /** Whether bytes sent from {@code a} to {@code b} now arrive. */
    boolean link(String a, String b) {
        if (a.equals(b)) {
            return alive(a);
        }
        return alive(a) && alive(b) && net(a, b);
    }

    /** Whether the network carries bytes from {@code a} to {@code b} now (whether anyone listens there or not). */
    boolean net(String a, String b) {
        for (Fault f : faults) {
            if (!f.activeAt(t)) {
                continue;
            }
            switch (f.kind()) {
                case "isolate" -> {
                    if (f.region().equals(a) || f.region().equals(b)) {
                        return false;
                    }
                }
                case "one-way" -> {
                    if (f.region().equals(a) && f.other().equals(b)) {
                        return false;
                    }
                }
                case "partial" -> {
                    if (f.region().equals(a) && f.other().equals(b) || f.region().equals(b) && f.other().equals(a)) {
                        return false;
                    }
                }
                default -> {
                }
            }
        }
        return true;
    }

    boolean both(String a, String b) {
        return link(a, b) && link(b, a);
    }

    long delay(String a, String b) {
        return a.equals(b) ? 0 : 20 + Math.abs(a.hashCode() - b.hashCode()) % 90;
    }

    long nanos(String r) {
        return (long) (t * 1_000_000L * rate.get(r));
    }

    long wall(String r) {
        return t + wallOffset.get(r);
    }

    // ---- the run ----

    void run() {
        Map<String, Boolean> wasAlive = new HashMap<>();
        all.forEach(r -> wasAlive.put(r, true));
        for (t = 0; t <= endMs; t += STEP_MS) {
            for (String r : all) {
                boolean up = alive(r);
                if (up && !wasAlive.get(r)) {
                    restart(r);
                }
                wasAlive.put(r, up);
            }
            if (leaderAtFault == null && faults.stream().anyMatch(f -> f.activeAt(t))) {
                leaderAtFault = leader == null ? "" : leader;
            }
            electLeader();
            deliverCommits();
            applyLogs();
            heartbeats();
            if (t % AGENT_EVERY_MS == 0) {
                agentTicks();
            }
            if (t % DECIDE_EVERY_MS == 0) {
                decide();
                operator();
            }
            writes();
        }
    }

    /** A crash loses memory, not disk: the control copy and counters stay, detectors and the lease start afresh. */
    private void restart(String r) {
        agents.put(r, new RegionAgent(r, all.stream().filter(p -> !p.equals(r)).toList(), settings, nanos(r)));
        started.put(r, wall(r));
        words.remove(r);
        inFlight.removeIf(p -> p.proposer().equals(r));
    }

    private void electLeader() {
        if (leader != null && alive(leader) && majorityAround(leader)) {
            return;
        }
        if (leader != null) {
            leader = null;
            leaderlessSince = t;
            electionMs = ELECTION_MIN_MS + random.nextInt((int) (ELECTION_MAX_MS - ELECTION_MIN_MS));
            inFlight.forEach(p -> agents.get(p.proposer()).proposalFailed(p.command()));
            inFlight.clear();
        }
        if (t - leaderlessSince < electionMs) {
            return;
        }
        for (String r : all) {
            if (alive(r) && majorityAround(r)) {
                leader = r;
                // Raft elects only a region holding every committed entry: it applies what it had not yet.
                applyUpTo(r, log.size());
                return;
            }
        }
    }

    private boolean majorityAround(String r) {
        long n = all.stream().filter(p -> both(r, p)).count();
        return n * 2 > all.size();
    }

    private void propose(String proposer, Command c) {
        if (leader == null || !both(proposer, leader)) {
            agents.get(proposer).proposalFailed(c);
            return;
        }
        inFlight.add(new Pending(proposer, c, t + COMMIT_MS + delay(proposer, leader), nanosAtSend(proposer)));
    }

    private long nanosAtSend(String r) {
        return nanos(r);
    }

    private void deliverCommits() {
        List<Pending> due = inFlight.stream().filter(p -> p.commitAt() <= t).toList();
        inFlight.removeAll(due);
        for (Pending p : due) {
            if (leader == null) {
                agents.get(p.proposer()).proposalFailed(p.command());
                continue;
            }
            log.add(p.command());
            commitTimes.add(t);
            ControlState.Outcome o = canonical.apply(p.command());
            outcomes.add(o);
            if (p.command() instanceof Command.Raise raise && raise.act() && o.applied()
                    || p.command() instanceof Command.Approve && o.applied()) {
                fencedAt.add(t);
            }
            for (ControlState.Region r : canonical.regions()) {
                if (r.status() == ControlState.Status.FAILED) {
                    firstActivation.putIfAbsent(r.name(), t); // by the leader's Activate, or by the report that completed it
                }
            }
            if (!o.applied()) {
                agents.get(p.proposer()).proposalFailed(p.command());
            }
        }
    }

    private void applyLogs() {
        for (String r : all) {
            if (!alive(r) || leader == null || !(r.equals(leader) || both(r, leader))) {
                continue;
            }
            int until = applied.get(r);
            while (until < log.size() && commitTimes.get(until) + (r.equals(leader) ? 0 : delay(leader, r)) <= t) {
                until++;
            }
            applyUpTo(r, until);
        }
    }

    private void applyUpTo(String r, int until) {
        {
            int i = applied.get(r);
            ControlState copy = copies.get(r);
            while (i < until) {
                Command c = log.get(i);
                ControlState.Outcome o = copy.apply(c);
                if (!o.equals(outcomes.get(i))) {
                    violations.add("t=" + t + " " + r + " applied " + c + " as " + o + " where the log says " + outcomes.get(i));
                }
                i++;
                for (String home : data) {
                    Ownership.acting(copy, data, home).ifPresent(acting -> {
                        String before = actingByEpoch.computeIfAbsent(home, h -> new HashMap<>()).putIfAbsent(copy.epoch(), acting);
                        if (before != null && !before.equals(acting)) {
                            violations.add("t=" + t + " epoch " + copy.epoch() + ": " + home + " acted for by " + before + " and " + acting);
                        }
                    });
                }
            }
            applied.put(r, i);
        }
    }

    private final Map<String, Long> lastProbe = new HashMap<>();

    /**
     * A heartbeat probe from {@code from} to {@code to}, sent at {@code sentNanos} on the sender's
     * clock and asking for its write lease: it reaches {@code to} at {@code arriveAt}, which grants
     * or refuses on its copy of the control state then; the answer is back at {@code answerAt}.
     */
    private static final class Probe {
        final String from;
        final String to;
        final long sentNanos;
        final long arriveAt;
        long answerAt = -1;
        long counter;
        boolean granted;
        boolean refused;
        /** What the sender suspected as it sent the probe, and the peer as it answered (Meridian-Suspects both ways). */
        final Set<String> told;
        Set<String> answeredWith = Set.of();

        Probe(String from, String to, long sentNanos, long arriveAt, Set<String> told) {
            this.from = from;
            this.to = to;
            this.sentNanos = sentNanos;
            this.arriveAt = arriveAt;
            this.told = told;
        }
    }

    /** A peer's word as a region heard it: when (simulated ms) and whom the peer suspected. */
    private record Word(long atMs, Set<String> suspects) {
    }

    /** Per listening region, per peer, the latest word heard on a heartbeat or an answer. */
    private final Map<String, Map<String, Word>> words = new HashMap<>();

    private void hear(String listener, String peer, Set<String> suspects) {
        words.computeIfAbsent(listener, k -> new HashMap<>()).put(peer, new Word(t, suspects));
    }

    private final List<Probe> probes = new ArrayList<>();

    private void heartbeats() {
        for (String a : all) {
            for (String b : all) {
                if (a.equals(b) || !alive(a)) {
                    continue;
                }
                String k = a + ">" + b;
                if (t - lastProbe.getOrDefault(k, -10_000L) >= settings.heartbeat().toMillis()) {
                    lastProbe.put(k, t);
                    if (net(a, b)) {
                        probes.add(new Probe(a, b, nanos(a), t + delay(a, b) + random.nextInt(3),
                                agents.get(a).suspects(wall(a), started.get(a))));
                    }
                }
            }
        }
        for (int i = probes.size() - 1; i >= 0; i--) {
            Probe p = probes.get(i);
            if (p.answerAt < 0 && p.arriveAt <= t) {
                if (!net(p.from, p.to) || !net(p.to, p.from)) {
                    probes.remove(i); // lost on the way, or the answer cannot go back
                    continue;
                }
                if (!alive(p.to)) {
                    p.refused = true; // nothing listens there: the connection is refused at once
                    p.answerAt = t + delay(p.to, p.from);
                    continue;
                }
                // The peer holds a data region's request against its own copy of the control state.
                p.granted = data.contains(p.from) && agents.get(p.to).grant(p.from, copies.get(p.to), nanos(p.to));
                p.counter = counter.get(p.to);
                hear(p.to, p.from, p.told);
                p.answeredWith = agents.get(p.to).suspects(wall(p.to), started.get(p.to));
                p.answerAt = t + delay(p.to, p.from) + random.nextInt(3);
            } else if (p.answerAt >= 0 && p.answerAt <= t) {
                probes.remove(i);
                if (p.refused) {
                    if (alive(p.from)) {
                        agents.get(p.from).refused(p.to);
                    }
                    continue;
                }
                if (alive(p.from) && link(p.to, p.from)) {
                    RegionAgent agent = agents.get(p.from);
                    agent.heartbeat(p.to, wall(p.from));
                    hear(p.from, p.to, p.answeredWith);
                    if (data.contains(p.from)) {
                        agent.leaseAnswer(p.to, p.sentNanos, p.granted);
                    }
                    seen.get(p.from).merge(p.to, p.counter, Math::max);
                }
            }
        }
    }

    private void agentTicks() {
        for (String r : all) {
            if (!alive(r)) {
                continue;
            }
            Map<String, Long> watermarks = new TreeMap<>(seen.get(r));
            watermarks.put(r, counter.get(r));
            RegionAgent.Local local = new RegionAgent.Local(watermarks, Set.of(), started.get(r));
            for (Command c : agents.get(r).tick(wall(r), nanos(r), copies.get(r), local, (after, through) ->
                    new RegionAgent.LostScan.Rpo(through - after, 0, 0))) {
                propose(r, c);
                if (c instanceof Command.Report report) {
                    // The report that completes the evidence brings the raise with it (its region probes readiness itself).
                    Map<String, Boolean> ready = new HashMap<>();
                    report.suspects().forEach(x -> ready.put(x, both(r, x)));
                    Decider.raisesOnReport(copies.get(r), settings, report, new Decider.Inputs(wall(r), ready))
                            .forEach(raise -> propose(r, raise));
                }
            }
        }
    }

    private void decide() {
        if (leader == null || applied.get(leader) != log.size()) {
            return;
        }
        ControlState copy = copies.get(leader);
        Map<String, Boolean> ready = new HashMap<>();
        for (String r : all) {
            ready.put(r, both(leader, r));
        }
        // The leader counts what survivors told it on heartbeats in the last second, and its own detector, as
        // FailoverAgent does: a report need not be committed first.
        Map<String, Set<String>> heard = new HashMap<>();
        words.getOrDefault(leader, Map.of()).forEach((peer, w) -> {
            if (t - w.atMs() <= 1_000) {
                heard.put(peer, w.suspects());
            }
        });
        heard.put(leader, agents.get(leader).suspects(wall(leader), started.get(leader)));
        for (Command c : Decider.decide(copy, settings, leader, new Decider.Inputs(wall(leader), ready, heard))) {
            propose(leader, c);
        }
    }

    /** An operator: answers pending decisions after a while (approves in the quiet phase), fails back rejoined regions. */
    private void operator() {
        if (leader == null) {
            return;
        }
        for (ControlState.Decision d : canonical.decisions()) {
            if (d.status() == ControlState.DecisionStatus.PENDING) {
                long at = operatorAt.computeIfAbsent(d.id(), id -> t + 1_000 + random.nextInt(3_000));
                if (t >= at) {
                    boolean approve = t >= faultsEndMs || random.nextBoolean();
                    propose(leader, approve ? new Command.Approve(d.id(), "operator", wall(leader))
                            : new Command.Reject(d.id(), "operator", wall(leader)));
                    operatorAt.put(d.id(), t + 2_000);
                }
            }
        }
        if (!settings.autoFailback()) {
            for (ControlState.Region r : canonical.regions()) {
                if (r.status() == ControlState.Status.REJOINED) {
                    long at = failbackAt.computeIfAbsent(r.name() + r.decision(), k -> t + 1_000 + random.nextInt(3_000));
                    if (t >= at) {
                        propose(leader, new Command.Failback(r.name(), "operator", wall(leader)));
                        failbackAt.put(r.name() + r.decision(), t + 2_000);
                    }
                }
            }
        }
    }

    /** Every region writes every home's keys it may write; no two may at one instant. */
    private void writes() {
        for (String home : data) {
            List<String> writers = new ArrayList<>();
            for (String r : data) {
                if (alive(r) && agents.get(r).mayWrite(copies.get(r), data, home, nanos(r))) {
                    writers.add(r);
                }
            }
            if (writers.size() > 1) {
                violations.add("t=" + t + ": " + writers + " may all write " + home + "'s keys (epochs "
                        + writers.stream().map(w -> copies.get(w).epoch()).toList() + ")");
            }
            for (String w : writers) {
                counter.merge(w, 1L, Long::sum);
                lastWriter.put(home, w);
            }
        }
    }

    String describe() {
        return "seed " + seed + ": " + data + (witnesses.isEmpty() ? "" : " + witness " + witnesses) + ", policy " + policy()
                + (settings.autoFailback() ? ", auto failback" : "") + ", faults " + faults;
    }

    Set<String> faultedRegions() {
        Set<String> s = new HashSet<>();
        faults.forEach(f -> s.add(f.region()));
        return s;
    }
}
