package io.meridian.core.failover;

import io.meridian.core.failure.PhiAccrualDetector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One region's part in failure detection and failover, as pure logic: a phi accrual detector
 * per peer fed by heartbeats, the region's write lease, and each tick the commands it owes the
 * control plane (its report, its lease renewal, its rejoin after a failover, the end of its
 * failback). The node runs it on a timer against Ratis; the simulation runs it against a
 * simulated clock and network. Not thread-safe: one caller at a time.
 *
 * <p>Two clocks come in: wall milliseconds (carried in commands, for reports' freshness and the
 * decision history) and monotonic nanoseconds (for the lease, which must not jump with the wall
 * clock).
 */
public final class RegionAgent {
    /**
     * A peer not heard from since this region started is suspected after this long (regions start at
     * different times: a lab's slowest region served 16 s after its process started, when the grace
     * was 15 s, and was failed over as it came up).
     */
    static final long NEVER_HEARD_GRACE_MILLIS = 60_000;
    private final String region;
    private final FailoverSettings settings;
    /**
     * Silence is not suspicious in a peer's first this-long after this region first heard from it:
     * a process that has just started stalls (class loading, the JIT, the first collections), and a
     * lab's slowest region was failed over seconds after it first answered. A peer that stops
     * outright (refused connections) is still suspected at once.
     */
    static final long WARM_UP_MILLIS = 10_000;
    /**
     * How long a peer that said it is stopping for a planned restart (draining) is not suspected
     * from silence or refused heartbeats: its drain, stop and start on two loaded cores take about
     * 15 s. One that stays away longer is suspected as any other.
     */
    public static final long PLANNED_RESTART_GRACE_MILLIS = 60_000;
    private final Map<String, PhiAccrualDetector> detectors = new LinkedHashMap<>();
    /** Per peer, when this region first heard from it (wall milliseconds). */
    private final Map<String, Long> firstHeardMillis = new HashMap<>();
    private final Lease lease;
    /**
     * Per region, when this one last granted it a lease (monotonic). Until it has, the moment it
     * started: it may have granted one just before a restart.
     */
    private final Map<String, Long> lastGrantNanos = new HashMap<>();
    private final long startedNanos;
    /** Per peer, heartbeats refused in a row since its last answer. */
    private final Map<String, Integer> refusals = new HashMap<>();
    /** Peers restarting on purpose (they said so while draining), until when they are not suspected. */
    private final Map<String, Long> plannedUntil = new HashMap<>();
    /** Heartbeats refused in a row (each already retried once on a new connection) that make a peer suspected. */
    public static final int REFUSALS_SUSPECTED = 3;
    /**
     * The regions this one withholds (grants no lease, applies none of their stream), each with the
     * watermark of its writes it froze at; {@link #FREEZING} in the tick it began, before the caller
     * has read a watermark taken after the stream stopped.
     */
    private final Map<String, Long> withholding = new TreeMap<>();
    private static final long FREEZING = -1;
    /** Withheld regions no longer suspected: per region, the time of the first report that leaves it out. */
    private final Map<String, Long> releasing = new HashMap<>();
    private long lastReportAtMillis = Long.MIN_VALUE / 2;
    private long lastReportMillis = Long.MIN_VALUE / 2;
    private long lastReportEpoch = -1;
    private Set<String> lastReportExpired = Set.of();
    private Set<String> lastReportWithheld = Set.of();
    private Set<String> lastReportSuspects = Set.of();
    private Set<String> lastReportStalled = Set.of();
    private long rejoinSentForDecision;
    private long restoreSentAtEpoch = -1;
    private long failbackSentForDecision;
    private long failbackSentAtMillis;
    /** A failback still rejoined this long after it was sent was refused, lost, or stopped (the region failed while draining). */
    static final long FAILBACK_AGAIN_MILLIS = 5_000;

    /**
     * @param peers        every other member of the control group (data regions and witnesses)
     * @param startedNanos this process's start on its monotonic clock
     */
    public RegionAgent(String region, List<String> peers, FailoverSettings settings, long startedNanos) {
        this.region = region;
        this.settings = settings;
        this.startedNanos = startedNanos;
        this.lease = new Lease(settings.lease(), (peers.size() + 1) / 2);
        for (String peer : peers) {
            detectors.put(peer, new PhiAccrualDetector(100, Math.max(20, settings.heartbeat().toMillis() / 4.0),
                    settings.acceptablePause().toMillis(), settings.heartbeat().toMillis(),
                    2 * (settings.heartbeat().toMillis() + settings.acceptablePause().toMillis())));
        }
    }

    public String region() {
        return region;
    }

    public Lease lease() {
        return lease;
    }

    /**
     * A heartbeat answered by {@code peer} while it drains for a planned restart: it is not
     * suspected until {@link #PLANNED_RESTART_GRACE_MILLIS} after this, or until it answers as
     * usual again (restarted).
     */
    public void heartbeat(String peer, long nowMillis, boolean draining) {
        heartbeat(peer, nowMillis);
        if (draining) {
            plannedUntil.put(peer, nowMillis + PLANNED_RESTART_GRACE_MILLIS);
        } else {
            plannedUntil.remove(peer);
        }
    }

    /** Whether {@code peer} said it is restarting on purpose, recently enough not to be suspected. */
    public boolean restartingOnPurpose(String peer, long nowMillis) {
        return plannedUntil.getOrDefault(peer, Long.MIN_VALUE) > nowMillis;
    }

    /** Any sign of life from {@code peer} (a heartbeat answered). */
    public void heartbeat(String peer, long nowMillis) {
        PhiAccrualDetector d = detectors.get(peer);
        if (d != null) {
            d.heartbeat(nowMillis);
            firstHeardMillis.putIfAbsent(peer, nowMillis);
        }
        refusals.remove(peer);
    }

    /**
     * A heartbeat to {@code peer} was refused outright: nothing listens at its address any more
     * (its process is gone), as opposed to silence, which may be a slow network. Evidence the
     * phi detector would take a second or more to reach from silence alone. Only for a peer heard
     * from since this region started: one that never answered may still be starting (a lab's
     * regions start together; the slowest was failed over before it served), and the never-heard
     * grace of {@link #suspects} covers one that stays down.
     */
    public void refused(String peer) {
        PhiAccrualDetector d = detectors.get(peer);
        if (d != null && d.lastHeartbeatMillis() >= 0) {
            refusals.merge(peer, 1, Integer::sum);
        }
    }

    /** Whether {@code peer} is suspected because its heartbeats were refused outright, not from silence. */
    public boolean refusedOutright(String peer) {
        return refusals.getOrDefault(peer, 0) >= REFUSALS_SUSPECTED;
    }

    /**
     * The peers this region suspects now. A peer never heard from since this region started is
     * suspected once a few heartbeat intervals have passed, so that a region that starts while
     * another is down still reports it; one heard from is not suspected from silence alone in its
     * first {@link #WARM_UP_MILLIS}.
     */
    public Set<String> suspects(long nowMillis, long startedMillis) {
        Set<String> out = new TreeSet<>();
        long grace = NEVER_HEARD_GRACE_MILLIS;
        detectors.forEach((peer, d) -> {
            if (restartingOnPurpose(peer, nowMillis)) {
                return;
            }
            boolean neverHeard = d.lastHeartbeatMillis() < 0;
            boolean warmingUp = !neverHeard && nowMillis - firstHeardMillis.getOrDefault(peer, nowMillis) < WARM_UP_MILLIS;
            if (neverHeard ? nowMillis - startedMillis > grace : !warmingUp && d.phi(nowMillis) >= settings.phiThreshold()) {
                out.add(peer);
            }
            if (refusals.getOrDefault(peer, 0) >= REFUSALS_SUSPECTED) {
                out.add(peer);
            }
        });
        return out;
    }

    /** How this region's detector sees each peer now (for views). */
    public List<io.meridian.core.api.FailoverView.Peer> peerViews(long nowMillis, Set<String> suspected) {
        List<io.meridian.core.api.FailoverView.Peer> out = new java.util.ArrayList<>();
        detectors.forEach((peer, d) -> {
            Long first = firstHeardMillis.get(peer);
            boolean heard = d.lastHeartbeatMillis() >= 0;
            out.add(new io.meridian.core.api.FailoverView.Peer(peer, first == null ? null : nowMillis - first,
                    heard ? nowMillis - d.lastHeartbeatMillis() : null, Math.round(d.meanMillis() * 10) / 10.0,
                    Math.round(d.stdDevMillis() * 10) / 10.0, heard ? Math.round(Math.min(99.9, d.phi(nowMillis)) * 10) / 10.0 : 0,
                    first != null && nowMillis - first < WARM_UP_MILLIS, suspected.contains(peer)));
        });
        return out;
    }

    /** How {@code peer}'s heartbeats look from here: silence now, and their usual rhythm (for logs and views). */
    public String rhythm(String peer, long nowMillis) {
        PhiAccrualDetector d = detectors.get(peer);
        if (d == null || d.lastHeartbeatMillis() < 0) {
            return "never heard";
        }
        return String.format(java.util.Locale.ROOT, "silent %d ms, heartbeats every %.0f ms (sd %.0f ms), phi %.1f",
                nowMillis - d.lastHeartbeatMillis(), d.meanMillis(), d.stdDevMillis(), Math.min(99.9, d.phi(nowMillis)));
    }

    /** What this region knows about its own data, for the tick, and the round trips it last measured to its peers. */
    public record Local(Map<String, Long> watermarks, Set<String> stalled, long startedMillis, Map<String, Long> rttMillis) {
        public Local(Map<String, Long> watermarks, Set<String> stalled, long startedMillis) {
            this(watermarks, stalled, startedMillis, Map.of());
        }
    }

    /** What the caller learns when a lost-writes scan is needed: how many of this region's writes a failover lost. */
    @FunctionalInterface
    public interface LostScan {
        /** The lost writes among this region's own numbered {@code (after, through]}. */
        Rpo scan(long after, long through);

        /** {@code answered}: how many of the lost writes were answered to their clients (acknowledged). */
        record Rpo(long writes, long fromMillis, long toMillis, long answered) {
            public Rpo(long writes, long fromMillis, long toMillis) {
                this(writes, fromMillis, toMillis, 0);
            }
        }
    }

    /**
     * The commands this region owes the control plane now: its report (suspicions, watermarks, and
     * the fenced regions whose lease it no longer grants and whose last grant from it has expired),
     * its rejoin after a failover, the end of its failback.
     */
    public List<Command> tick(long nowMillis, long nowNanos, ControlState state, Local local, LostScan lostScan) {
        List<Command> out = new ArrayList<>();
        Set<String> suspects = suspects(nowMillis, local.startedMillis());
        Map<String, Long> withheld = withhold(state, suspects, local, nowMillis, nowNanos);
        Set<String> expired = leasesExpired(state, nowNanos);
        // Due every report-every, a refresh that keeps it fresh; at once when what it says changes: whom this
        // region suspects or sees stalled (a failover's evidence), the epoch (a fence waits for this region's
        // frozen watermark), a fenced region's lease from here has just expired (its failover waits for that), or
        // what it withholds (a failover decided late waits for that). Only watermarks change without a report:
        // they ride on the next one.
        Set<String> stalled = local.stalled();
        if (nowMillis - lastReportMillis >= settings.reportEvery().toMillis() || state.epoch() != lastReportEpoch
                || !suspects.equals(lastReportSuspects) || !stalled.equals(lastReportStalled)
                || !expired.equals(lastReportExpired) || !withheld.keySet().equals(lastReportWithheld)) {
            // Strictly increasing, so that a report is known to be newer than a decision taken before it (releasing).
            long at = Math.max(nowMillis, lastReportAtMillis + 1);
            out.add(new Command.Report(region, state.epoch(), suspects, stalled, local.watermarks(), at, expired,
                    local.rttMillis(), withheld));
            lastReportMillis = nowMillis;
            lastReportAtMillis = at;
            lastReportEpoch = state.epoch();
            lastReportSuspects = Set.copyOf(suspects);
            lastReportStalled = Set.copyOf(stalled);
            lastReportExpired = expired;
            lastReportWithheld = withheld.keySet();
            releasing.replaceAll((r, since) -> since == Long.MIN_VALUE ? at : since);
        }
        Optional<ControlState.Region> me = state.region(region);
        if (me.isEmpty() || me.get().witness()) {
            return out;
        }
        ControlState.Region r = me.get();
        switch (r.status()) {
            case ACTIVE -> {
            }
            case FENCED -> lease.revoked();
            case FAILED -> {
                lease.revoked();
                if (rejoinSentForDecision != r.decision()) {
                    long last = local.watermarks().getOrDefault(region, 0L);
                    LostScan.Rpo rpo = last > r.cutoff() ? lostScan.scan(r.cutoff(), last) : new LostScan.Rpo(0, 0, 0);
                    out.add(new Command.Rejoin(region, last, rpo.writes(), rpo.fromMillis(), rpo.toMillis(), nowMillis, rpo.answered()));
                    rejoinSentForDecision = r.decision();
                }
            }
            case REJOINED -> {
                lease.revoked();
                boolean due = failbackSentForDecision != r.decision() || nowMillis - failbackSentAtMillis >= FAILBACK_AGAIN_MILLIS;
                if (settings.autoFailback() && due && caughtUp(state, local)) {
                    out.add(new Command.Failback(region, region + " (automatic failback)", nowMillis));
                    failbackSentForDecision = r.decision();
                    failbackSentAtMillis = nowMillis;
                }
            }
            case DRAINING -> {
                lease.revoked();
                if (state.drainComplete(region) && restoreSentAtEpoch != state.epoch()
                        && r.drained().entrySet().stream().allMatch(e -> local.watermarks().getOrDefault(e.getKey(), 0L) >= e.getValue())) {
                    out.add(new Command.Restore(region, nowMillis));
                    restoreSentAtEpoch = state.epoch();
                }
            }
        }
        return out;
    }

    /** The next tick reports whatever the cadence (the control plane has a new leader, which needs fresh evidence). */
    public void reportNow() {
        lastReportEpoch = -1;
    }

    /** A proposed command may be lost (no majority, a leader change): let the next tick send it again. */
    public void proposalFailed(Command c) {
        switch (c) {
            case Command.Report r -> lastReportEpoch = -1; // send the next one at once
            case Command.Rejoin r -> rejoinSentForDecision = 0;
            case Command.Restore r -> restoreSentAtEpoch = -1;
            case Command.Failback f -> failbackSentForDecision = 0;
            default -> {
            }
        }
    }

    // ---- withholding ----

    /**
     * Updates what this region withholds and returns what its report promises. It begins to
     * withhold an active or fenced data region it has heard from since it started, suspects, and last
     * granted a lease longer ago than a lease and its margin; it stops once it no longer suspects it and its own report leaving it out
     * has been applied (so no fence can count on the promise any more), or once that region's
     * failover is done (the promise is spent).
     */
    private Map<String, Long> withhold(ControlState state, Set<String> suspects, Local local, long nowMillis, long nowNanos) {
        long wait = settings.leaseExpiryWait().toNanos();
        Optional<Command.Report> mine = state.report(region);
        for (ControlState.Region r : state.regions()) {
            String x = r.name();
            if (r.witness() || x.equals(region)) {
                continue;
            }
            boolean servable = r.status() == ControlState.Status.ACTIVE || r.status() == ControlState.Status.FENCED;
            Long frozenAt = withholding.get(x);
            if (frozenAt == null) {
                // Only a peer heard from since this process started: one never heard from (this region is starting, or it
                // is down) has had nothing granted since the start either, and withholding it would stall this region's
                // catch-up from it (seen: a restarted region withheld a live peer for a minute while its copy of the
                // control state caught up).
                if (servable && suspects.contains(x) && firstHeardMillis.containsKey(x)
                        && nowNanos - lastGrantNanos.getOrDefault(x, startedNanos) >= wait) {
                    withholding.put(x, FREEZING);
                }
                continue;
            }
            if (!servable) {
                withholding.remove(x);
                releasing.remove(x);
                continue;
            }
            if (frozenAt == FREEZING) {
                // The caller read these watermarks after this region stopped applying x's stream (last tick).
                withholding.put(x, local.watermarks().getOrDefault(x, 0L));
            }
            if (suspects.contains(x) || r.status() == ControlState.Status.FENCED) {
                releasing.remove(x);
                continue;
            }
            Long since = releasing.putIfAbsent(x, Long.MIN_VALUE); // set to the next report's time when it is made
            if (since != null && since != Long.MIN_VALUE && mine.isPresent() && mine.get().atMillis() >= since
                    && !mine.get().withheld().containsKey(x)) {
                withholding.remove(x);
                releasing.remove(x);
            }
        }
        Map<String, Long> promised = new TreeMap<>();
        withholding.forEach((x, at) -> {
            if (at != FREEZING && !releasing.containsKey(x)) {
                promised.put(x, at);
            }
        });
        return promised;
    }

    /** Whether this region withholds {@code peer}: grants it no lease and applies none of its replication stream. */
    public boolean withholds(String peer) {
        return withholding.containsKey(peer);
    }

    // ---- leases ----

    /**
     * {@code requester} asks this region to extend its write lease (on a heartbeat). Granted while
     * it is an active data region in this region's copy of the control state; the grant's time is
     * kept, to tell the control plane once it has certainly expired.
     */
    public boolean grant(String requester, ControlState state, long nowNanos) {
        Optional<ControlState.Region> r = state.region(requester);
        if (r.isEmpty() || r.get().witness() || r.get().status() != ControlState.Status.ACTIVE || requester.equals(region)
                || withholding.containsKey(requester)
                || state.report(region).map(mine -> mine.withheld().containsKey(requester)).orElse(false)) {
            // The last check: a promise in this region's latest applied report binds it after a restart too.
            return false;
        }
        lastGrantNanos.put(requester, nowNanos);
        return true;
    }

    /** The answer of {@code peer} to the lease request this region sent at {@code sentNanos}. */
    public void leaseAnswer(String peer, long sentNanos, boolean granted) {
        if (granted) {
            lease.granted(peer, sentNanos);
        } else {
            lease.refused(peer);
        }
    }

    /**
     * The fenced regions this one no longer grants a lease (it has applied their fence) and last
     * granted one longer ago than a lease plus its margin: whatever it granted them has expired.
     */
    Set<String> leasesExpired(ControlState state, long nowNanos) {
        Set<String> out = new TreeSet<>();
        long wait = settings.leaseExpiryWait().toNanos();
        for (ControlState.Region r : state.regions()) {
            if (r.status() == ControlState.Status.FENCED && !r.name().equals(region)
                    && nowNanos - lastGrantNanos.getOrDefault(r.name(), startedNanos) >= wait) {
                out.add(r.name());
            }
        }
        return out;
    }

    /** True when this region holds every write of the others that they had made when last reported. */
    private boolean caughtUp(ControlState state, Local local) {
        for (ControlState.Region other : state.regions()) {
            if (other.witness() || other.name().equals(region)) {
                continue;
            }
            Optional<Command.Report> report = state.report(other.name());
            if (report.isPresent() && local.watermarks().getOrDefault(other.name(), 0L)
                    < report.get().watermarks().getOrDefault(other.name(), 0L)) {
                return false;
            }
        }
        return true;
    }

    /**
     * May this region write {@code home}'s keys now: it is their acting region in its copy of
     * the control state, it is active, and its lease is valid.
     */
    public boolean mayWrite(ControlState state, List<String> order, String home, long nowNanos) {
        return Ownership.acting(state, order, home).filter(region::equals).isPresent()
                && state.status(region) == ControlState.Status.ACTIVE && lease.valid(nowNanos);
    }
}
