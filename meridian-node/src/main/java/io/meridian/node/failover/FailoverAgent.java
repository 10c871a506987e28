package io.meridian.node.failover;

import io.meridian.core.MeridianException;
import io.meridian.core.ProblemType;
import io.meridian.core.api.FailoverView;
import io.meridian.core.config.HostPort;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.failover.Command;
import io.meridian.core.failover.ControlState;
import io.meridian.core.failover.Decider;
import io.meridian.core.failover.FailoverSettings;
import io.meridian.core.failover.Ownership;
import io.meridian.core.failover.RegionAgent;
import io.meridian.core.replication.OriginFence;
import io.meridian.core.replication.VersionVector;
import io.meridian.core.time.Clock;
import io.meridian.core.time.Scheduler;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.replication.control.ControlStateMachine;
import io.meridian.replication.strong.ConsensusServer;
import io.meridian.storage.Store;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A region's failover agent: runs the pure {@link RegionAgent} (detection, reports, lease,
 * rejoin, failback) against the control plane's Raft group, and, while this region leads that
 * group, the {@link Decider}. It answers the write path's questions: which region writes a
 * home's keys now, may this region write them (it is acting, active, and its lease is valid),
 * and what to do with a received write of a region that failed over.
 *
 * <p>Threads: one ticks the agent every {@link #TICK_MILLIS}; one runs the decider (it probes
 * readiness over HTTP, which may take up to a second). Agent calls are serialised on the agent.
 */
public final class FailoverAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FailoverAgent.class);
    static final long TICK_MILLIS = 50;
    static final long DECIDE_MILLIS = 100;
    static final Duration PROPOSE_TIMEOUT = Duration.ofSeconds(2);
    /** How long an unanswered report holds back the next one. */
    static final Duration REPORT_PATIENCE = Duration.ofMillis(400);
    /** How long a readiness answer is used by the decider. */
    static final Duration READINESS_FRESH = Duration.ofMillis(1_500);
    /** Replication from a peer that answers but has not moved for this long, with its writes announced, is stalled. */
    static final Duration STALL = Duration.ofSeconds(5);
    /** The readiness reason while this region holds no write lease (the lab waits for it to go). */
    static final String NO_LEASE = "no write lease";
    /** How long Ratis must not have heard from a suspected control leader before this region starts an election. */
    static final Duration CAMPAIGN_SILENCE = Duration.ofMillis(500);
    /**
     * The Raft silence enough, in the control group, when the leader's heartbeats are refused outright: its
     * process is gone (a partition swallows probes instead), so there is no live leader to depose.
     */
    static final Duration CAMPAIGN_SILENCE_REFUSED = Duration.ofMillis(200);
    /** How recent a peer's word (on a heartbeat or its answer) must be for its suspicions to count towards starting an election. */
    static final Duration AGREEMENT_FRESH = Duration.ofSeconds(1);
    /** At most one election started per this long (one may be refused: a term moved, a log is behind). */
    static final Duration CAMPAIGN_EVERY = Duration.ofSeconds(1);

    private final String region;
    private final MeridianConfig config;
    private final FailoverSettings settings;
    private final Store store;
    private final RegionAgent agent;
    private final ControlStateMachine machine;
    private final Clock clock;
    private final long startedMillis;
    private final long startedNanos;
    private final Map<String, long[]> progress = new ConcurrentHashMap<>();
    private final Set<String> singleOwner;
    private final Scheduler ticker;
    private final Scheduler decider;
    private final Scheduler resync;
    private final HttpClient http;
    private final io.meridian.node.NodeTls tls;
    private final Object leaseSignal = new Object();
    private volatile ConsensusServer consensus;
    private volatile ReplicationEngine engine;
    private volatile boolean resyncing;
    /** Per suspected region, this region's latest answer to its readiness probe. */
    private final Map<String, Readiness> readiness = new ConcurrentHashMap<>();
    /** Per suspected region, this region's readiness probe under way. */
    private final Map<String, java.util.concurrent.CompletableFuture<Boolean>> readinessProbing = new ConcurrentHashMap<>();
    private boolean ledControl;
    private volatile boolean leadingCutOff;
    /** Per Raft group, when this region last started an election for it (monotonic nanos). */
    private final Map<String, Long> campaignedNanos = new java.util.concurrent.ConcurrentHashMap<>();
    private String knownLeader;
    private volatile Set<String> lastSuspects = Set.of();
    /** What this region's detector suspects, as of its latest tick. */
    private volatile Set<String> suspectsNow = Set.of();
    private volatile Runnable suspectsChanged = () -> { };
    /** Per peer, its latest word (on a heartbeat or an answer), and when it came (monotonic). */
    private final Map<String, Heard> peerWords = new ConcurrentHashMap<>();
    /** The regions the agent withholds, as of its last tick (read by the replication threads). */
    private volatile Set<String> withheld = Set.of();
    private volatile java.util.function.Supplier<Map<String, Long>> roundTrips = Map::of;
    /** Per suspected region, the last assessment logged (logged again when it changes). */
    private final Map<String, String> assessed = new java.util.HashMap<>();
    /** When the report in flight was sent (monotonic), 0 when none is. */
    private final java.util.concurrent.atomic.AtomicLong reportSentNanos = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param ticker  runs the agent's tick (heartbeats, lease renewals, reports)
     * @param decider runs the decisions; apart from the ticker, so a slow proposal does not delay renewals
     * @param resync   runs the resynchronisation after a failover (a snapshot transfer, which may take long)
     */
    public FailoverAgent(String region, MeridianConfig config, Store store, Clock clock, Scheduler ticker, Scheduler decider,
                  Scheduler resync, io.meridian.node.NodeTls tls) {
        this.region = region;
        this.tls = tls;
        this.http = tls.httpClient(Duration.ofSeconds(1)).build();
        this.clock = clock;
        this.ticker = ticker;
        this.decider = decider;
        this.resync = resync;
        this.startedMillis = clock.wallMillis();
        this.startedNanos = clock.monotonicNanos();
        this.config = config;
        this.settings = config.failover();
        this.store = store;
        this.agent = new RegionAgent(region, config.regionNames().stream().filter(r -> !r.equals(region)).toList(), settings,
                startedNanos);
        this.machine = new ControlStateMachine(new ControlState(config.dataRegionNames(), config.witnessNames()), this::applied);
        this.singleOwner = config.singleOwnerKeyspaces();
    }

    /** The control plane's state machine, to host in this region's consensus server. */
    public ControlStateMachine machine() {
        return machine;
    }

    public void start(ConsensusServer consensus, ReplicationEngine engine) {
        this.consensus = consensus;
        this.engine = engine;
        consensus.preferControlLeader(this::preferredControlLeader);
        ticker.every(Duration.ofMillis(TICK_MILLIS), this::tick);
        decider.every(Duration.ofMillis(DECIDE_MILLIS), this::decide);
        log.info("failover of {}: policy {}, lease {} ms, heartbeats every {} ms, phi threshold {}", region,
                settings.policy().configName(), settings.lease().toMillis(), settings.heartbeat().toMillis(), settings.phiThreshold());
    }

    public ControlState state() {
        return machine.current();
    }

    /**
     * Where this region, leading the control plane, should hand its leadership
     * ({@link io.meridian.core.failover.ControlPlacement#preferredLeader}, from the round trips
     * every region reported): only while every region is active and nobody here or in the
     * committed reports suspects anyone, so that no move competes with a failover.
     */
    private Optional<io.meridian.core.failover.ControlPlacement.Preference> preferredControlLeader() {
        ControlState s = state();
        boolean quiet = suspectsNow.isEmpty()
                && s.regions().stream().allMatch(r -> r.status() == ControlState.Status.ACTIVE
                        && s.report(r.name()).map(rep -> rep.suspects().isEmpty()).orElse(false));
        List<String> order = consensus.orders().get(ConsensusServer.CONTROL);
        if (!quiet || order == null) {
            return Optional.empty();
        }
        return io.meridian.core.failover.ControlPlacement.preferredLeader(order, s.roundTrips(), region);
    }

    public long epoch() {
        return state().epoch();
    }

    /**
     * A peer answered a heartbeat sent at {@code sentNanos} (this region's monotonic clock), and,
     * when this region asked, granted or refused it a write lease ({@code lease} empty otherwise),
     * naming the regions it suspects ({@code theirSuspects}, empty when it did not say).
     */
    public void heartbeat(String peer, long sentNanos, Optional<Boolean> lease, Optional<io.meridian.core.failover.PeerWord> word,
                          boolean draining) {
        word.ifPresent(w -> heard(peer, w));
        synchronized (agent) {
            agent.heartbeat(peer, clock.wallMillis(), draining);
            lease.ifPresent(granted -> agent.leaseAnswer(peer, sentNanos, granted));
        }
        if (lease.isPresent()) {
            synchronized (leaseSignal) {
                leaseSignal.notifyAll();
            }
        }
    }

    /** Where the reports' round trips come from (the peer prober's latest, in whole milliseconds). */
    public void roundTrips(java.util.function.Supplier<Map<String, Long>> source) {
        this.roundTrips = source;
    }

    /** {@code peer} said this on a heartbeat or its answer. */
    public void heard(String peer, io.meridian.core.failover.PeerWord word) {
        peerWords.put(peer, new Heard(clock.monotonicNanos(), word));
    }

    /** What this region tells its peers on heartbeats and answers: its suspicions, and how far its Raft logs reach. */
    public io.meridian.core.failover.PeerWord word() {
        ConsensusServer c = consensus;
        return new io.meridian.core.failover.PeerWord(suspectsNow, c == null ? Map.of() : c.logPositions());
    }

    /** Called when this region's suspicions change (the heartbeats then go at once, to tell the peers). */
    public void onSuspectsChanged(Runnable listener) {
        this.suspectsChanged = listener;
    }

    /** Whether this region's failure detector suspects {@code peer} (as of its latest report). */
    public boolean suspects(String peer) {
        return lastSuspects.contains(peer);
    }

    /** A heartbeat to {@code peer} was refused: nothing listens at its address. */
    public void refused(String peer) {
        synchronized (agent) {
            agent.refused(peer);
        }
    }

    /** Whether this region asks its peers for a write lease on its heartbeats: a data region does. */
    public boolean wantsLease() {
        return !config.region(region).map(io.meridian.core.config.RegionConfig::witness).orElse(false);
    }

    /**
     * {@code requester} asks for its write lease on a heartbeat: granted while it is an active data
     * region in this region's copy of the control state.
     */
    public boolean grant(String requester) {
        synchronized (agent) {
            return agent.grant(requester, state(), clock.monotonicNanos());
        }
    }

    // ---- the write path ----

    /** The region that writes {@code home}'s keys of {@code keyspace} now; empty while none may. */
    public Optional<String> acting(KeyspaceConfig keyspace, String home) {
        return acting(state(), keyspace, home);
    }

    /**
     * Waits, up to one lease, for this region's lease when it is the acting region and active but
     * holds none yet (just started, or a renewal is late): a write then succeeds instead of failing.
     */
    public void awaitLease(KeyspaceConfig keyspace, String home) throws InterruptedException {
        long deadline = clock.monotonicNanos() + settings.lease().toNanos();
        while (!agent.lease().valid(clock.monotonicNanos()) && clock.monotonicNanos() < deadline
                && acting(keyspace, home).filter(region::equals).isPresent()
                && state().status(region) == ControlState.Status.ACTIVE) {
            synchronized (leaseSignal) {
                leaseSignal.wait(20);
            }
        }
    }

    /** The order {@code home}'s keys of {@code keyspace} fail over in: configured, or by measured round trip ({@code auto}). */
    private List<String> order(ControlState s, KeyspaceConfig keyspace, String home) {
        List<String> measured = keyspace.autoFailoverOrder() ? s.successors(home) : List.of();
        return measured.isEmpty() ? config.failoverOrder(keyspace) : measured;
    }

    private Optional<String> acting(ControlState s, KeyspaceConfig keyspace, String home) {
        return Ownership.acting(s, order(s, keyspace, home), home);
    }

    /** Throws unless this region may write {@code home}'s keys of {@code keyspace} now. Runs under the replica's lock. */
    public void checkMayWrite(KeyspaceConfig keyspace, String home) {
        ControlState s = state();
        if (agent.mayWrite(s, order(s, keyspace, home), home, clock.monotonicNanos())) {
            return;
        }
        ControlState.Status status = s.status(region);
        Optional<String> acting = acting(s, keyspace, home);
        String why;
        if (status != ControlState.Status.ACTIVE) {
            why = region + " is " + status.name().toLowerCase(java.util.Locale.ROOT) + " in the control plane (decision "
                    + s.region(region).map(ControlState.Region::decision).orElse(0L) + ", epoch " + s.epoch()
                    + "): it writes no keys until it has rejoined and failed back";
        } else if (acting.isEmpty() || !acting.get().equals(region)) {
            why = "the keys of " + home + " in '" + keyspace.name() + "' are written by "
                    + acting.orElse("no region while a failover or failback completes") + " at epoch " + s.epoch();
        } else {
            why = region + " holds no write lease: too few regions granted it one recently (a majority of the control group"
                    + " is unreachable or slow); it stops writing the keys it owns until they do, so that no other region and it"
                    + " write them at once";
        }
        throw new MeridianException(ProblemType.NOT_OWNER, why, Map.of("home", home, "epoch", s.epoch()));
    }

    /** Refuses a forwarded request routed under another epoch than this region's. */
    public void checkEpoch(String header) {
        if (header == null) {
            return;
        }
        long theirs;
        try {
            theirs = Long.parseLong(header.strip());
        } catch (NumberFormatException e) {
            throw new MeridianException(ProblemType.MALFORMED_HEADER, io.meridian.core.Headers.EPOCH + " '" + header
                    + "' is not an epoch number", Map.of("header", io.meridian.core.Headers.EPOCH));
        }
        long mine = epoch();
        if (theirs != mine) {
            throw new MeridianException(ProblemType.STALE_EPOCH, "the request was routed at epoch " + theirs + " and "
                    + region + " is at epoch " + mine + ": " + (theirs < mine ? "the sender's view is stale" : "this region is catching up")
                    + "; retry", Map.of("epoch", mine, "request_epoch", theirs));
        }
    }

    /**
     * False for the direct stream of a region being fenced (its writes stop here until the cutoff is
     * set) or withheld (this region promised the control plane a frozen watermark of it). Called
     * under the replication engine's lock, so a watermark read under that lock after this turned
     * false is the frozen one.
     */
    public boolean acceptsFrom(String sender) {
        ControlState s = state();
        Optional<ControlState.Region> r = s.region(sender);
        if (r.isEmpty()) {
            return true;
        }
        ControlState.Status status = r.get().status();
        if (status == ControlState.Status.FENCED) {
            return false;
        }
        boolean promised = withheld.contains(sender)
                || s.report(region).map(mine -> mine.withheld().containsKey(sender)).orElse(false);
        return !(promised && status == ControlState.Status.ACTIVE);
    }

    /** What failovers say about a received write (see {@link OriginFence}). */
    public OriginFence originFence() {
        return e -> {
            ControlState s = machine.current();
            for (ControlState.LostRange lost : s.lost()) {
                if (lost.region().equals(e.origin()) && lost.contains(e.seq())) {
                    return singleOwner.contains(e.keyspace()) ? OriginFence.Verdict.LOST : OriginFence.Verdict.APPLY;
                }
            }
            Optional<ControlState.Region> origin = s.region(e.origin());
            if (origin.isPresent() && origin.get().status() == ControlState.Status.FAILED && e.seq() > origin.get().cutoff()) {
                return OriginFence.Verdict.HOLD;
            }
            return OriginFence.Verdict.APPLY;
        };
    }

    // ---- the agent ----

    private void tick() {
        try {
            ConsensusServer c = consensus;
            ReplicationEngine e = engine;
            VersionVector watermarks = e == null ? VersionVector.EMPTY : e.watermarksLocked();
            ControlState s = state();
            RegionAgent.Local local = new RegionAgent.Local(watermarks.seqs(), stalled(e), startedMillis, roundTrips.get());
            List<Command> commands;
            String leader = controlLeader(c);
            boolean newLeader = leader != null && !leader.equals(knownLeader);
            knownLeader = leader;
            synchronized (agent) {
                Set<String> suspectedNow = Set.copyOf(agent.suspects(clock.wallMillis(), startedMillis));
                if (!suspectedNow.equals(suspectsNow)) {
                    suspectsNow = suspectedNow;
                    suspectsChanged.run();
                }
                if (newLeader) {
                    // A new control leader decides on committed reports: give it this region's at once, past any
                    // report still stuck on its way to the old leader.
                    agent.reportNow();
                    reportSentNanos.set(0);
                }
                commands = agent.tick(clock.wallMillis(), clock.monotonicNanos(), s, local, (after, through) -> {
                    var r = e.lostWrites(after, through, singleOwner::contains);
                    return new RegionAgent.LostScan.Rpo(r.writes(), r.firstMillis(), r.lastMillis(), r.answered());
                });
                Set<String> now = new java.util.TreeSet<>();
                config.regionNames().stream().filter(agent::withholds).forEach(now::add);
                if (!now.equals(withheld)) {
                    log.info("{} withholds {} (was {}): no lease for them, none of their stream applied", region, now, withheld);
                    withheld = Set.copyOf(now);
                }
            }
            for (Command command : commands) {
                if (command instanceof Command.Report r) {
                    r.suspects().forEach(this::probeReadinessAhead);
                }
                if (command instanceof Command.Report r && !r.suspects().equals(lastSuspects)) {
                    long at = clock.wallMillis();
                    Set<String> before = lastSuspects;
                    String rhythms;
                    synchronized (agent) {
                        rhythms = r.suspects().stream().filter(p -> !before.contains(p)).map(p -> "; " + p + ": " + agent.rhythm(p, at))
                                .collect(java.util.stream.Collectors.joining());
                    }
                    log.info("{} suspects {} (was {}){}", region, r.suspects(), before, rhythms);
                    lastSuspects = r.suspects();
                }
                propose(c, command);
                if (command instanceof Command.Report r && !r.suspects().isEmpty()) {
                    Map<String, Boolean> ready = new java.util.HashMap<>();
                    r.suspects().forEach(x -> recentReadiness(x).ifPresent(ok -> ready.put(x, ok)));
                    for (Command raise : Decider.raisesOnReport(s, settings, r, new Decider.Inputs(r.atMillis(), ready))) {
                        propose(c, raise);
                    }
                }
            }
            campaignIfLeaderSuspected(c, leader);
            resyncIfRejoined(s, e);
        } catch (RuntimeException ex) {
            log.warn("failover tick failed: {}", ex.toString());
        }
    }

    /**
     * When this region suspects the leader of a Raft group it is in (the control plane's, or a
     * strong keyspace's) and is the survivor that should ({@link io.meridian.core.failover.ControlPlacement#campaigner}:
     * of those that agree the leader is gone, the one with the longest log, ties to the order), it
     * starts the election itself rather than wait for Ratis's timer to notice (one to three seconds
     * after the leader's last heartbeat under the lab's timeouts; the control plane's decisions and
     * the strong keyspace's writes wait for that election). Ratis must also have heard nothing from
     * the leader for {@link #CAMPAIGN_SILENCE}: a leader that still heartbeats here is not deposed
     * on a suspicion alone. One candidate per group, so no split vote, and it is the one Ratis's
     * priorities would settle on. And a majority of the group must suspect the leader, peers
     * counted from what they said on recent heartbeats ({@link io.meridian.core.failover.ControlPlacement#majorityAgrees}): a region
     * cut off from everyone hears no one and starts nothing.
     */
    private void campaignIfLeaderSuspected(ConsensusServer c, String controlLeader) {
        if (c == null) {
            return;
        }
        Set<String> suspects = suspectsNow;
        if (suspects.isEmpty()) {
            return;
        }
        long now = clock.monotonicNanos();
        Map<String, io.meridian.core.failover.PeerWord> heard = freshWords();
        Map<String, io.meridian.core.failover.PeerWord.LogPosition> mine = c.logPositions();
        c.orders().forEach((group, order) -> {
            String leader;
            try {
                leader = group.equals(ConsensusServer.CONTROL) ? controlLeader : c.leader(group).orElse(null);
            } catch (java.io.IOException ex) {
                return;
            }
            Long last = campaignedNanos.get(group);
            if (leader == null || leader.equals(region) || !suspects.contains(leader)
                    || !io.meridian.core.failover.ControlPlacement.majorityAgrees(order, leader, region, heard)
                    || (last != null && now - last < CAMPAIGN_EVERY.toNanos())
                    || !io.meridian.core.failover.ControlPlacement.campaigner(order, group, leader, region, heard,
                            Optional.ofNullable(mine.get(group))).filter(region::equals).isPresent()) {
                return;
            }
            campaignedNanos.put(group, now);
            boolean refused;
            synchronized (agent) {
                refused = agent.refusedOutright(leader);
            }
            try {
                // Only the control group's: a strong keyspace's leader serves reads on its lease (0.9 of the
                // election timeout) and its successor must not be elected inside it, whatever the probes say.
                boolean control = group.equals(ConsensusServer.CONTROL);
                if (c.campaign(group, leader, refused && control ? CAMPAIGN_SILENCE_REFUSED : CAMPAIGN_SILENCE)) {
                    log.info("{} suspects {}, the leader of {}: started an election", region, leader,
                            control ? "the control plane" : "'" + group + "'");
                }
            } catch (java.io.IOException | RuntimeException ex) {
                log.debug("starting an election for {} failed: {}", group, ex.toString());
            }
        });
    }

    private static String controlLeader(ConsensusServer c) {
        try {
            return c == null ? null : c.leader(ConsensusServer.CONTROL).orElse(null);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * Whether this region leads the control plane while its detector suspects a majority of the
     * group: cut off, so it proposes nothing ({@link io.meridian.core.failover.ControlPlacement#majorityInSight}).
     */
    private boolean leadsCutOff(ConsensusServer c) {
        if (c == null || !region.equals(controlLeader(c))) {
            leadingCutOff = false; // a later leadership starts afresh (no "hears a majority again" for an old one)
            return false;
        }
        List<String> order = c.orders().get(ConsensusServer.CONTROL);
        boolean cutOff = order != null && !io.meridian.core.failover.ControlPlacement.majorityInSight(order, suspectsNow);
        if (cutOff != leadingCutOff) {
            leadingCutOff = cutOff;
            log.info(cutOff ? "{} leads the control plane but suspects a majority of it: it proposes nothing until it hears them"
                    : "{} hears a majority of the control plane again", region);
        }
        return cutOff;
    }

    private void propose(ConsensusServer c, Command command) {
        long now = clock.monotonicNanos();
        if (leadsCutOff(c)) {
            synchronized (agent) {
                agent.proposalFailed(command);
            }
            return;
        }
        if (command instanceof Command.Report) {
            long since = reportSentNanos.get();
            if (since != 0 && now - since < REPORT_PATIENCE.toNanos()) {
                // The last report is not answered yet: the next tick's supersedes this one. One stuck behind a dead
                // control leader does not hold reports back for longer than REPORT_PATIENCE.
                synchronized (agent) {
                    agent.proposalFailed(command);
                }
                return;
            }
            reportSentNanos.set(now);
        }
        c.proposeControl(ControlStateMachine.encode(command), PROPOSE_TIMEOUT).whenComplete((reply, error) -> {
            if (command instanceof Command.Report) {
                reportSentNanos.compareAndSet(now, 0);
            }
            synchronized (agent) {
                if (error != null) {
                    agent.proposalFailed(command);
                    if (log.isDebugEnabled()) {
                        Throwable root = error;
                        while (root.getCause() != null && root.getCause() != root) {
                            root = root.getCause();
                        }
                        log.debug("{} not committed after {} ms: {}", command.getClass().getSimpleName(),
                                (clock.monotonicNanos() - now) / 1_000_000, root.toString());
                    }
                    return;
                }
                ControlState.Outcome outcome;
                try {
                    outcome = ControlStateMachine.decodeOutcome(reply);
                } catch (java.io.IOException ex) {
                    agent.proposalFailed(command);
                    return;
                }
                if (!outcome.applied()) {
                    agent.proposalFailed(command);
                    log.debug("control plane refused {}: {}", command.getClass().getSimpleName(), outcome.detail());
                } else if (log.isDebugEnabled()) {
                    log.debug("{} committed in {} ms", command.getClass().getSimpleName(), (clock.monotonicNanos() - now) / 1_000_000);
                }
            }
        });
    }

    /** Peers whose replication to this region has not moved for {@link #STALL} though they announced writes. */
    private Set<String> stalled(ReplicationEngine e) {
        Set<String> out = new java.util.TreeSet<>();
        if (e == null) {
            return out;
        }
        long now = clock.monotonicNanos();
        for (String peer : e.peers()) {
            long behind = e.entriesBehind(peer);
            long applied = e.watermarks().get(peer);
            long[] p = progress.computeIfAbsent(peer, x -> new long[] {applied, now});
            if (applied != p[0] || behind == 0) {
                p[0] = applied;
                p[1] = now;
            } else if (now - p[1] > STALL.toNanos()) {
                out.add(peer);
            }
        }
        return out;
    }

    /**
     * Once this region's rejoin is recorded, undo its lost writes and take the survivors' state
     * from a peer's snapshot, once per decision (remembered on disk).
     */
    private void resyncIfRejoined(ControlState s, ReplicationEngine e) {
        Optional<ControlState.Region> me = s.region(region);
        if (e == null || me.isEmpty() || resyncing) {
            return;
        }
        ControlState.Region r = me.get();
        boolean after = r.status() == ControlState.Status.REJOINED || r.status() == ControlState.Status.DRAINING;
        if (!after || store.metaLong("failover-resynced", 0) == r.decision()) {
            return;
        }
        Optional<ControlState.LostRange> lost = s.lost().stream()
                .filter(l -> l.region().equals(region) && l.decision() == r.decision()).findFirst();
        if (lost.isEmpty()) {
            store.putMetaLong("failover-resynced", r.decision());
            return;
        }
        resyncing = true;
        resync.execute(() -> {
            try {
                List<String> from = new ArrayList<>(e.peers());
                if (e.revertLostAndResync(lost.get().after(), lost.get().through(), singleOwner::contains, from)) {
                    store.putMetaLong("failover-resynced", r.decision());
                }
            } catch (RuntimeException ex) {
                log.warn("resync after failover failed, will retry: {}", ex.toString());
            } finally {
                resyncing = false;
            }
        });
    }

    /** Every region hears every applied command: the decisions' steps are logged. */
    private void applied(Command command, ControlState.Outcome outcome, ControlState after, long proposedByNanos) {
        if (outcome.applied() && command instanceof Command.Report r && outcome.decision() != 0) {
            log.info("control plane: the report of {} completed decision {} -> failed over (epoch {})", r.reporter(),
                    outcome.decision(), outcome.epoch());
        }
        if (outcome.applied() && !(command instanceof Command.Renew) && !(command instanceof Command.Report)) {
            log.info("control plane: {} -> {} (epoch {})", describe(command), outcome.detail(), outcome.epoch());
        }
    }

    private static String describe(Command c) {
        return switch (c) {
            case Command.Raise r -> "raise " + r.region() + (r.act() ? " (act)" : " (ask)") + " " + r.evidence();
            case Command.Activate a -> "activate failover of " + a.region();
            case Command.Rejoin r -> "rejoin of " + r.region() + " (last write " + r.lastSeq() + ", " + r.lostWrites() + " lost)";
            case Command.Failback f -> "failback of " + f.region() + " by " + f.by();
            case Command.Restore r -> "restore of " + r.region();
            case Command.Approve a -> "approve decision " + a.decision() + " by " + a.by();
            case Command.Reject r -> "reject decision " + r.decision() + " by " + r.by();
            case Command.Withdraw w -> "withdraw decision " + w.decision() + ": " + w.why();
            case Command.IssueToken t -> "issue token '" + t.token().name() + "' (" + t.token().id() + ") " + t.token().scopes()
                    + " by " + t.token().createdBy();
            case Command.RevokeToken t -> "revoke token " + t.id() + " by " + t.by();
            default -> c.getClass().getSimpleName();
        };
    }

    // ---- the leader's judgement ----

    private void decide() {
        try {
            ConsensusServer c = consensus;
            boolean leading = c != null && c.view(ConsensusServer.CONTROL).isLeader();
            if (leading != ledControl) {
                ledControl = leading;
                log.info(leading ? "{} leads the control plane" : "{} no longer leads the control plane", region);
            }
            if (!leading || leadsCutOff(c)) {
                return;
            }
            ControlState s = state();
            Map<String, Set<String>> heard = heardSuspicions();
            // The readiness of every active region some report or word suspects, probed in parallel (a fenced or
            // failed region's readiness decides nothing).
            Map<String, java.util.concurrent.CompletableFuture<Boolean>> probing = new LinkedHashMap<>();
            long fresh = clock.wallMillis() - settings.reportTtl().toMillis();
            for (String r : config.regionNames()) {
                boolean suspected = heard.values().stream().anyMatch(h -> h.contains(r))
                        || s.regions().stream().anyMatch(o -> s.report(o.name())
                        .filter(rep -> rep.atMillis() >= fresh && rep.suspects().contains(r)).isPresent());
                if (suspected && !r.equals(region)
                        && (s.status(r) == ControlState.Status.ACTIVE || s.status(r) == ControlState.Status.DRAINING)) {
                    // A recent answer to this region's own probe (started when it began to suspect r) saves the
                    // wait: a cut-off region's probe takes its whole timeout to fail.
                    probing.put(r, readinessFor(r));
                }
            }
            Map<String, Boolean> ready = new LinkedHashMap<>();
            probing.forEach((r, answer) -> ready.put(r, answer.join()));
            for (String r : ready.keySet()) {
                Decider.Assessment a = Decider.assess(s, settings, r, new Decider.Inputs(clock.wallMillis(), ready, heard));
                String seen = a.suspecters() + "/" + a.voters() + "/" + a.readinessFails();
                if (!seen.equals(assessed.put(r, seen))) {
                    log.info("{} is suspected by {} of {}; its readiness check {} from here", r, a.suspecters(), a.voters(),
                            a.readinessFails() ? "fails" : "answers");
                }
            }
            if (!c.leaderReady(ConsensusServer.CONTROL)) {
                return; // elected, its first entry not committed yet: Ratis would refuse the proposals
            }
            for (Command command : Decider.decide(s, settings, region, new Decider.Inputs(clock.wallMillis(), ready, heard))) {
                try {
                    String reply = c.proposeControl(ControlStateMachine.encode(command), PROPOSE_TIMEOUT).get();
                    ControlState.Outcome o = ControlStateMachine.decodeOutcome(reply);
                    if (!o.applied()) {
                        log.debug("control plane refused {}: {}", describe(command), o.detail());
                    }
                } catch (Exception ex) {
                    log.debug("proposal {} failed: {}", describe(command), ex.toString());
                }
            }
        } catch (Exception ex) {
            log.warn("failover decision round failed: {}", ex.toString());
        }
    }

    /**
     * Whom each region suspects by its word of the last {@link #AGREEMENT_FRESH} (on its heartbeats
     * and answers), and whom this one suspects now: evidence a new control leader has before any
     * survivor's report reaches its log (those went to the dead leader; a follower's report takes
     * two round trips to commit).
     */
    private Map<String, Set<String>> heardSuspicions() {
        Map<String, Set<String>> heard = new java.util.HashMap<>();
        freshWords().forEach((peer, word) -> heard.put(peer, word.suspects()));
        heard.put(region, suspectsNow);
        return heard;
    }

    /** Each peer's word heard in the last {@link #AGREEMENT_FRESH}. */
    private Map<String, io.meridian.core.failover.PeerWord> freshWords() {
        long now = clock.monotonicNanos();
        Map<String, io.meridian.core.failover.PeerWord> fresh = new java.util.HashMap<>();
        peerWords.forEach((peer, h) -> {
            if (now - h.atNanos() <= AGREEMENT_FRESH.toNanos()) {
                fresh.put(peer, h.word());
            }
        });
        return fresh;
    }

    /**
     * While this region suspects {@code peer}, it keeps probing its readiness itself, so that if it
     * leads the control plane now or next (the suspect may be the leader), the decider has an answer
     * at once instead of waiting a probe's timeout.
     */
    private void probeReadinessAhead(String peer) {
        java.util.concurrent.CompletableFuture<Boolean> probe = new java.util.concurrent.CompletableFuture<>();
        if (readinessProbing.putIfAbsent(peer, probe) != null) {
            return;
        }
        ready(peer).whenComplete((ok, error) -> {
            readiness.put(peer, new Readiness(clock.monotonicNanos(), Boolean.TRUE.equals(ok)));
            readinessProbing.remove(peer);
            probe.complete(Boolean.TRUE.equals(ok));
        });
    }

    /**
     * The readiness of {@code peer} for a decision: a recent answer; else the probe this region
     * already has under way (a cut-off peer's probe takes its whole timeout to fail: a new one
     * would start that wait again, 1.2 s after a new control leader took office in a drill); else a
     * new probe.
     */
    private java.util.concurrent.CompletableFuture<Boolean> readinessFor(String peer) {
        Optional<Boolean> recent = recentReadiness(peer);
        if (recent.isPresent()) {
            return java.util.concurrent.CompletableFuture.completedFuture(recent.get());
        }
        java.util.concurrent.CompletableFuture<Boolean> underWay = readinessProbing.get(peer);
        return underWay != null ? underWay : ready(peer);
    }

    /** A peer's word on a heartbeat or an answer, and when it came (monotonic). */
    private record Heard(long atNanos, io.meridian.core.failover.PeerWord word) {
    }

    /** A readiness probe's answer and when it came (monotonic). */
    private record Readiness(long atNanos, boolean ready) {
    }

    private Optional<Boolean> recentReadiness(String peer) {
        Readiness r = readiness.get(peer);
        return r == null || clock.monotonicNanos() - r.atNanos() > READINESS_FRESH.toNanos() ? Optional.empty()
                : Optional.of(r.ready());
    }

    /** The deep readiness check of {@code peer} as seen from here: 200 within a second. */
    private java.util.concurrent.CompletableFuture<Boolean> ready(String peer) {
        HostPort address = config.addressFor(region, peer);
        return http.sendAsync(HttpRequest.newBuilder(URI.create(tls.url(address) + "/v1/health/ready"))
                        .header(io.meridian.core.Headers.REGION, region)
                        .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.discarding())
                .thenApply(r -> r.statusCode() == 200).exceptionally(e -> false);
    }

    // ---- operators ----

    /** Proposes an operator's command and waits for the control plane's answer. */
    public ControlState.Outcome operate(Command command) {
        return operate(command, ProblemType.DECISION_REFUSED);
    }

    /** Proposes {@code command} and waits for its outcome; a refusal is raised as {@code refusedAs}. */
    public ControlState.Outcome operate(Command command, ProblemType refusedAs) {
        try {
            String reply = consensus.proposeControl(ControlStateMachine.encode(command), Duration.ofSeconds(10)).get();
            ControlState.Outcome o = ControlStateMachine.decodeOutcome(reply);
            if (!o.applied()) {
                throw new MeridianException(refusedAs, o.detail(), Map.of("epoch", o.epoch()));
            }
            return o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MeridianException(ProblemType.UNAVAILABLE, "interrupted waiting for the control plane");
        } catch (java.util.concurrent.ExecutionException | java.io.IOException e) {
            throw new MeridianException(ProblemType.UNAVAILABLE, "the control plane did not answer (no majority of regions"
                    + " reachable from " + region + "?): " + (e.getCause() == null ? e : e.getCause()).toString());
        }
    }

    /** {@code GET /v1/failovers}: the deployment's failover state as this region has applied it. */
    public FailoverView view() {
        ControlState s = state();
        String leader = null;
        try {
            leader = consensus == null ? null : consensus.leader(ConsensusServer.CONTROL).orElse(null);
        } catch (java.io.IOException ignored) {
            // no leader known
        }
        List<FailoverView.RegionStatus> regions = new ArrayList<>();
        for (ControlState.Region r : s.regions()) {
            Map<String, String> acting = new LinkedHashMap<>();
            if (!r.witness()) {
                for (KeyspaceConfig k : config.keyspaces()) {
                    io.meridian.core.KeyspaceRules rules = io.meridian.core.KeyspaceRules.of(k.policy());
                    boolean owns = rules.homed() || rules.primary().filter(r.name()::equals).isPresent();
                    if (owns) {
                        acting.put(k.name(), acting(s, k, r.name()).orElse(null));
                    }
                }
            }
            Optional<Command.Report> rep = s.report(r.name());
            regions.add(new FailoverView.RegionStatus(r.name(), r.witness(), r.status().name().toLowerCase(java.util.Locale.ROOT),
                    r.decision() == 0 ? null : r.decision(), acting,
                    rep.map(x -> List.copyOf(x.suspects())).orElse(List.of()),
                    rep.map(x -> Instant.ofEpochMilli(x.atMillis()).toString()).orElse(null),
                    s.onsetsSince(r.name(), clock.wallMillis() - settings.flapWindow().toMillis())));
        }
        List<FailoverView.Peer> peers;
        synchronized (agent) {
            peers = agent.peerViews(clock.wallMillis(), lastSuspects);
        }
        return new FailoverView(region, settings.policy().configName(), s.epoch(), leader, leaseView(),
                regions, s.lost(), s.decisions(), peers);
    }

    /** This region's write lease now (also in {@link #view()}). */
    public FailoverView.Lease leaseView() {
        long now = clock.monotonicNanos();
        return new FailoverView.Lease(agent.lease().valid(now), agent.lease().remainingNanos(now) / 1_000_000, settings.lease().toMillis());
    }

    /** For readiness: why this region cannot write what it owns, if it cannot. */
    public Optional<String> ownershipProblem() {
        ControlState s = state();
        if (config.region(region).map(io.meridian.core.config.RegionConfig::witness).orElse(false)) {
            return Optional.empty();
        }
        ControlState.Status status = s.status(region);
        if (status != ControlState.Status.ACTIVE) {
            return Optional.of("failed over: " + status.name().toLowerCase(java.util.Locale.ROOT) + " (decision " + s.region(region).get().decision() + ")");
        }
        return agent.lease().valid(clock.monotonicNanos()) ? Optional.empty()
                : Optional.of(NO_LEASE + ": writes to the keys it owns are refused until the control plane renews it");
    }

    @Override
    public void close() {
        ticker.close();
        decider.close();
        resync.close();
        http.shutdownNow();
    }
}
