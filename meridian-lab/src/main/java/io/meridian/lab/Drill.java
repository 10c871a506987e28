package io.meridian.lab;

import io.meridian.core.KeyspaceRules;

import io.meridian.client.MeridianClient;
import io.meridian.client.MeridianClientException;
import io.meridian.core.api.ApiJson;
import io.meridian.core.api.ClusterView;
import io.meridian.core.api.FailoverView;
import io.meridian.core.failover.ControlState;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * Failure drills on a running lab. A workload runs from clients in every region against a
 * keyspace of every policy (primary, home-region, multi-master, strong), each write to a key of
 * its own so that every acknowledged write can be looked for afterwards. Then a fault:
 *
 * <ul>
 *   <li>{@code region-outage}: SIGKILL the region, wait until writes to the keys it owned
 *       succeed again elsewhere (its RTO), revive it, wait for its rejoin, fail it back;</li>
 *   <li>{@code partition}: cut the region off from every other while its own clients keep
 *       writing to it, heal, rejoin, fail back;</li>
 *   <li>{@code flapping}: cut it off and heal it five times in a row.</li>
 * </ul>
 *
 * Per policy the report gives the RTO (from the fault until writes to keys the region owned
 * succeed again; for keys it did not own, the longest gap survivors saw), the RPO (acknowledged
 * writes absent afterwards, each found on a conflict feed as lost, and the window they span),
 * acknowledged writes not accounted for (must be 0), errors clients saw, the staleness of reads
 * during the fault, and, for the single-writer policies, whether a home ever had two writers in
 * one epoch.
 */
public final class Drill {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The keyspaces drilled, from the lab's configuration (declared once, there): the first of each
     * policy that replicates, in configuration order; what each one means comes from its rules.
     */
    private final Map<String, io.meridian.core.config.KeyspaceConfig> keyspaces = new LinkedHashMap<>();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** The default pause of each client between two writes: about 30 writes a second per client, 600 in all. */
    public static final long DEFAULT_PAUSE_MILLIS = 25;

    public enum Kind { REGION_OUTAGE, PARTITION, FLAPPING }

    /** One write a client made, and what became of it. */
    record Write(String keyspace, String key, String value, String client, String home, long sentMillis, long doneMillis,
                 int status, String servedBy, long epoch, String problem) {
        boolean acknowledged() {
            return status == 200 || status == 201;
        }
    }

    private final Lab lab;
    private final PrintStream out;
    private final long pauseMillis;
    private final HttpClient http;
    /** How to reach the lab's regions when it runs with TLS; null for plain HTTP. */
    private final javax.net.ssl.SSLContext tls;
    private final List<Write> writes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Histogram> staleness = new ConcurrentHashMap<>();
    private final Map<String, String> urls = new LinkedHashMap<>();
    private final Map<String, MeridianClient> apiClients = new ConcurrentHashMap<>();
    private List<String> dataRegions;
    /** Names this drill's keys apart from an earlier drill's on the same lab. */
    private final String run = Long.toString(System.currentTimeMillis() % 1_000_000, 36);

    public Drill(Lab lab, PrintStream out) {
        this(lab, out, DEFAULT_PAUSE_MILLIS);
    }

    /** @param pauseMillis each client's pause between two writes: larger is a lighter workload */
    /** Simulated users per second per region during the drill (a lab with its traffic layer); 0: none. */
    private int usersRate;

    /** Adds simulated users of the demo shop to the drill: what users saw, per region, in the report's {@code users}. */
    public Drill withUsers(int ratePerRegion) {
        this.usersRate = ratePerRegion;
        return this;
    }

    public Drill(Lab lab, PrintStream out, long pauseMillis) {
        if (pauseMillis < 0) {
            throw new IllegalArgumentException("pause " + pauseMillis + " ms is negative");
        }
        this.lab = lab;
        this.tls = lab.tls().orElse(null);
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2));
        this.http = (tls == null ? b : b.sslContext(tls)).build();
        this.out = out;
        this.pauseMillis = pauseMillis;
    }

    /** As a victim: whichever region leads the control plane when the drill starts. */
    public static final String CONTROL_LEADER = "control-leader";

    /**
     * @param target a region of the lab, or {@link #CONTROL_LEADER}
     */
    public Map<String, Object> run(Kind kind, String target, Duration recoveryTimeout) throws Exception {
        LabState state = lab.state().orElseThrow(() -> new LabException("no lab is running; `meridian lab up` first"));
        state.regions().forEach(r -> urls.put(r.name(), r.url()));
        io.meridian.core.config.MeridianConfig config = lab.config();
        Set<String> policiesSeen = new java.util.HashSet<>();
        for (io.meridian.core.config.KeyspaceConfig k : config.keyspaces()) {
            // CRDT keyspaces change by operations and event logs by appends, not PUTs: the drill's workload does not
            // write them (yet).
            if (rules(k).replication() != KeyspaceRules.Replication.NONE && rules(k).crdt().isEmpty() && !rules(k).eventLog()
                    && policiesSeen.add(k.policy().name())) {
                keyspaces.put(k.name(), k);
            }
        }
        String victim = target.equals(CONTROL_LEADER) ? controlLeaderNow() : target;
        if (target.equals(CONTROL_LEADER)) {
            out.printf("the control plane's leader is %s: drilling it%n", victim);
        }
        if (!urls.containsKey(victim)) {
            throw new LabException("region '" + victim + "' is not in the lab; regions: " + String.join(", ", urls.keySet()));
        }
        FailoverView failovers = failovers(victim);
        dataRegions = new ArrayList<>();
        failovers.regions().forEach(r -> {
            if (!r.witness()) {
                dataRegions.add(r.name());
            }
        });
        if (!dataRegions.contains(victim)) {
            throw new LabException("region '" + victim + "' is a witness: it owns no keys; drill a data region");
        }
        String policy = failovers.policy();
        long decisionsBefore = failovers.decisions().size();
        ClusterView cluster = client(victim).cluster();
        String strongLeader = cluster.strong() == null || cluster.strong().isEmpty() || cluster.strong().getFirst().leader() == null
                ? "" : cluster.strong().getFirst().leader();
        String controlLeader = failovers.controlLeader() == null ? "" : failovers.controlLeader();
        out.printf("drill %s of %s: failover policy %s, latency scale %s; strong leader %s, control plane leader %s%n", name(kind),
                victim, policy, state.latencyScale(), strongLeader, controlLeader);
        awaitEveryRegionActive(victim, Duration.ofMinutes(5));
        awaitDetectorsPastWarmUp(Duration.ofSeconds(30));
        awaitNoRecentSuspicion(victim, config.failover().flapWindow());

        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean usersStop = new AtomicBoolean();
        java.util.concurrent.CompletableFuture<UsersLoad.Report> users = null;
        long usersStart = System.currentTimeMillis();
        if (usersRate > 0) {
            UsersLoad load = lab.users();
            users = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return load.runUntil(usersRate, usersStop, line -> { });
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LabException("interrupted");
                }
            }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        }
        List<Thread> clients = new ArrayList<>();
        for (String client : dataRegions) {
            for (String keyspace : keyspaces.keySet()) {
                // A client per home for home-region keys: one stalled on a forward does not hold back the others.
                KeyspaceRules rules = rules(keyspaces.get(keyspace));
                List<String> homes = rules.homed() ? dataRegions : rules.primary().map(List::of).orElse(List.of(""));
                for (String home : homes) {
                    clients.add(Thread.ofPlatform().name("drill-" + client + "-" + keyspace + "-" + home).daemon()
                            .start(() -> workload(client, keyspace, home, stop)));
                }
            }
            clients.add(Thread.ofPlatform().name("drill-read-" + client).daemon().start(() -> reads(client, victim, stop)));
        }
        sleep(3_000);
        long faultAt = System.currentTimeMillis();
        long healedAt;
        // The fault counts from just before it is made: SIGKILL takes effect at once, while lab.kill
        // returns only once the process has been reaped (1-2 s later). Writes the victim itself
        // acknowledged after this instant do not count as recovery.
        Map<String, Long> recovery = new LinkedHashMap<>();
        switch (kind) {
            case REGION_OUTAGE -> {
                lab.kill(victim);
                out.printf("killed %s%n", victim);
                awaitRecovery(victim, faultAt, strongLeader, recoveryTimeout, recovery);
                sleep(2_000);
                out.printf("reviving %s %.1f s after the fault%n", victim, (System.currentTimeMillis() - faultAt) / 1000.0);
                lab.revive(victim, Duration.ofSeconds(120));
                // The outage lasts until the region serves again, restart included.
                healedAt = System.currentTimeMillis();
                out.printf("%s serves again %.1f s after the fault%n", victim, (healedAt - faultAt) / 1000.0);
            }
            case PARTITION -> {
                isolate(victim, true);
                out.printf("cut %s off from every region; its clients keep writing to it%n", victim);
                awaitRecovery(victim, faultAt, strongLeader, recoveryTimeout, recovery);
                sleep(2_000);
                isolate(victim, false);
                healedAt = System.currentTimeMillis();
                out.printf("healed after %.1f s%n", (healedAt - faultAt) / 1000.0);
            }
            case FLAPPING -> {
                for (int i = 0; i < 5; i++) {
                    isolate(victim, true);
                    sleep(1_500);
                    isolate(victim, false);
                    sleep(2_000);
                }
                healedAt = System.currentTimeMillis();
                out.printf("flapped %s five times (1.5 s cut, 2 s healed)%n", victim);
            }
            default -> throw new IllegalStateException();
        }
        Map<String, Object> rejoin = rejoinAndFailBack(victim, decisionsBefore, Duration.ofSeconds(90));
        sleep(2_000);
        stop.set(true);
        usersStop.set(true);
        for (Thread t : clients) {
            t.join(15_000);
        }
        long endAt = System.currentTimeMillis();
        Map<String, Object> usersReport = users == null ? null : usersSeen(users.join(), (faultAt - usersStart) / 1000.0);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("drill", name(kind));
        report.put("region", victim);
        report.put("failover_policy", policy);
        report.put("control_leader_before", controlLeader);
        report.put("strong_leader_before", strongLeader);
        report.put("latency_scale", state.latencyScale());
        report.put("fault_at", java.time.Instant.ofEpochMilli(faultAt).toString());
        report.put("fault_lasted_ms", healedAt - faultAt);
        List<ControlState.Decision> decisions = decisionsSince(decisionsBefore);
        report.put("decisions", ApiJson.MAPPER.valueToTree(decisions));
        List<Map<String, Object>> timelines = new ArrayList<>();
        long faultedAt = faultAt;
        for (ControlState.Decision d : decisions) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("decision", d.id());
            d.history().forEach(h -> t.put(step(h.what()), h.atMillis() - faultedAt));
            timelines.add(t);
        }
        report.put("decision_timeline_ms_after_fault", timelines);
        report.put("rejoin", rejoin);
        Map<String, Object> policies = new LinkedHashMap<>();
        // Accounting reads one survivor: replicas that never converge would read as lost writes, so say which it is.
        long convergeStart = System.currentTimeMillis();
        boolean converged = awaitConvergence(Duration.ofSeconds(30));
        report.put("replicas_converged_after_ms", converged ? System.currentTimeMillis() - convergeStart : null);
        if (!converged) {
            out.println("the regions' replication watermarks still differ after 30 s: a stream is stuck (see /v1/cluster)");
        }
        for (io.meridian.core.config.KeyspaceConfig k : keyspaces.values()) {
            policies.put(k.policy().name(), account(k.name(), rules(k), victim, faultAt, healedAt, endAt, recovery,
                    strongLeader.equals(victim)));
        }
        report.put("policies", policies);
        report.put("read_staleness_of_its_keys_ms", stalenessReport());
        if (usersReport != null) {
            report.put("users", usersReport);
        }
        return report;
    }

    /**
     * What users saw, per region, with their errors placed relative to the fault: the first and
     * last second (after the fault) in which some request failed, and of what kind: the gateway or
     * edge of a lost region not answering (users still sent there by a cached DNS answer), or a
     * gateway answering 5xx (the service could not reach its data), or the DNS itself.
     */
    private static Map<String, Object> usersSeen(UsersLoad.Report users, double faultOffsetSeconds) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rate_per_region", users.ratePerRegion());
        for (UsersLoad.RegionReport r : users.regions()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("visits", r.visits());
            one.put("requests", r.requests());
            one.put("errors", r.errors());
            one.put("error_rate", r.errorRate());
            one.put("page_p50_ms", r.pageP50Ms());
            one.put("page_p99_ms", r.pageP99Ms());
            one.put("served_by", r.servedBy());
            one.put("error_kinds", r.errorKinds());
            if (!r.errorSeconds().isEmpty()) {
                one.put("errors_from_s_after_fault", java.util.Collections.min(r.errorSeconds().keySet()) - faultOffsetSeconds);
                one.put("errors_until_s_after_fault", java.util.Collections.max(r.errorSeconds().keySet()) + 1 - faultOffsetSeconds);
            }
            out.put(r.region(), one);
        }
        return out;
    }

    /**
     * A drill starts from a lab whose regions are all active with no decision open: one that
     * follows another (--repeat) waits for the previous failback to finish (a catch-up under load
     * can take minutes), instead of killing a region that is still failing back.
     */
    /** Failbacks the drill asked for while waiting for every region to be active, by region and decision. */
    private final Set<String> failedBack = new HashSet<>();

    private void awaitEveryRegionActive(String at, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean said = false;
        while (System.nanoTime() < deadline) {
            FailoverView view = failovers(at);
            List<String> busy = view.regions().stream().filter(r -> !r.status().equals("active"))
                    .map(r -> r.name() + " (" + r.status() + ")").toList();
            boolean open = view.decisions().stream().anyMatch(ControlState.Decision::open);
            if (busy.isEmpty() && !open) {
                return;
            }
            if (!said) {
                out.printf("waiting for %s to be active again before the drill%n", busy.isEmpty() ? "an open decision to close" : busy);
                said = true;
            }
            // A region that rejoined after the previous drill gave up waiting for it waits for an operator's
            // failback: the drill plays the operator, as it does when the rejoin comes in time.
            for (FailoverView.RegionStatus r : view.regions()) {
                if (r.status().equals("rejoined") && failedBack.add(r.name() + "@" + r.decision())) {
                    out.printf("failing back %s (rejoined after the previous drill)%n", r.name());
                    post(at, "/v1/failovers/failback?region=" + r.name());
                }
            }
            Thread.sleep(1_000);
        }
        out.printf("the lab was not back to every region active after %d s: the drill starts anyway%n", timeout.toSeconds());
    }

    /**
     * Waits until no region suspected the victim within the flapping window: earlier suspicions
     * (a previous drill, a region starting on a busy machine) would count towards flapping, and
     * the drill would measure the flapping rule instead of the fault.
     */
    /**
     * Waits until every region's failure detector has heard each peer for longer than its warm-up:
     * within it a peer is not suspected from silence alone, so a drill started right after
     * {@code lab up} measured the warm-up (RTO 6-7 s) instead of the failover.
     */
    private void awaitDetectorsPastWarmUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean said = false;
        while (System.nanoTime() < deadline) {
            List<String> warming = new ArrayList<>();
            for (String r : dataRegions) {
                List<FailoverView.Peer> peers = failovers(r).peers();
                if (peers == null) {
                    continue;
                }
                peers.stream().filter(p -> p.warmingUp() || p.heardForMs() == null).forEach(p -> warming.add(r + " -> " + p.name()));
            }
            if (warming.isEmpty()) {
                return;
            }
            if (!said) {
                out.printf("waiting for the failure detectors to finish warming up (%s)%n", String.join(", ", warming));
                said = true;
            }
            Thread.sleep(500);
        }
        out.printf("failure detectors still warming up after %d s: the drill starts anyway%n", timeout.toSeconds());
    }

    private void awaitNoRecentSuspicion(String victim, Duration window) throws InterruptedException {
        long deadline = System.nanoTime() + window.plusSeconds(10).toNanos();
        boolean said = false;
        while (System.nanoTime() < deadline) {
            int recent = failovers(victim).regionNamed(victim).map(FailoverView.RegionStatus::recentSuspicions).orElse(0);
            if (recent == 0) {
                return;
            }
            if (!said) {
                out.printf("waiting for %d earlier suspicion(s) of %s to leave the %d s flapping window%n", recent, victim,
                        window.toSeconds());
                said = true;
            }
            Thread.sleep(1_000);
        }
        out.printf("%s was still suspected recently after %d s: the drill may see the flapping rule%n", victim,
                window.plusSeconds(10).toSeconds());
    }

    /** A decision history step's name: "failed over at epoch 3; ..." is {@code failed_over}, "rejoined; ..." is {@code rejoined}. */
    static String step(String what) {
        String first = what.split("[ ;,(:]", 2)[0];
        return first.equals("failed") && what.startsWith("failed over") ? "failed_over" : first;
    }

    private static String name(Kind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    // ---- the workload ----

    /** One client in {@code client}'s region writing new keys of {@code keyspace} (homed in {@code home}, if any). */
    private void workload(String client, String keyspace, String home, AtomicBoolean stop) {
        for (long i = 0; !stop.get(); i++) {
            String key = "drill" + run + "-" + client + "-" + i + (home.isEmpty() ? "" : "-" + home);
            String value = client + "#" + i + "@" + System.currentTimeMillis();
            writes.add(put(client, keyspace, key, value, home));
            sleep(pauseMillis);
        }
    }

    private Write put(String client, String keyspace, String key, String value, String home) {
        long sent = System.currentTimeMillis();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(urls.get(client) + "/v1/kv/" + keyspace + "/" + key))
                .timeout(REQUEST_TIMEOUT).header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString(value));
        if (rules(keyspaces.get(keyspace)).homed()) {
            b.header("Meridian-Home", home);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            long epoch = r.headers().firstValue("Meridian-Epoch").map(Long::parseLong).orElse(0L);
            String servedBy = "";
            String problem = null;
            if (r.statusCode() < 300) {
                servedBy = JSON.readTree(r.body()).path("region").asText("");
            } else {
                problem = JSON.readTree(r.body()).path("type").asText("HTTP " + r.statusCode());
            }
            return new Write(keyspace, key, value, client, home, sent, System.currentTimeMillis(), r.statusCode(), servedBy,
                    epoch, problem);
        } catch (IOException e) {
            return new Write(keyspace, key, value, client, home, sent, System.currentTimeMillis(), 0, "", 0,
                    e instanceof java.net.http.HttpTimeoutException ? "timeout" : "unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Write(keyspace, key, value, client, home, sent, System.currentTimeMillis(), 0, "", 0, "interrupted");
        }
    }

    /** A client reading, locally and eventually, keys homed in the victim: how stale its region says they may be. */
    private void reads(String client, String victim, AtomicBoolean stop) {
        while (!stop.get()) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(urls.get(client)
                                + "/v1/kv/profiles/drill" + run + "-" + victim + "-0-" + victim)).timeout(REQUEST_TIMEOUT)
                        .header("Meridian-Consistency", "eventual").GET().build(), HttpResponse.BodyHandlers.ofString());
                r.headers().firstValue("Meridian-Staleness-Ms").filter(s -> s.matches("\\d+")).ifPresent(s ->
                        staleness.computeIfAbsent(client, c -> new Histogram(3)).recordValue(Math.min(Long.parseLong(s), 3_600_000)));
            } catch (IOException e) {
                // the client's own region is down or cut off
            } catch (InterruptedException e) {
                return;
            }
            sleep(100);
        }
    }

    // ---- the fault and the recovery ----

    private void isolate(String victim, boolean cut) {
        for (String other : urls.keySet()) {
            if (!other.equals(victim)) {
                if (cut) {
                    lab.partition(victim, other);
                } else {
                    lab.heal(victim, other);
                }
            }
        }
    }

    /** Waits until survivors' writes to keys the victim owned succeed again (or the timeout). */
    private void awaitRecovery(String victim, long faultAt, String strongLeader, Duration timeout, Map<String, Long> recovery) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            for (String keyspace : keyspaces.keySet()) {
                if (!recovery.containsKey(keyspace) && owned(keyspace, victim, strongLeader)) {
                    firstOwnedSuccess(keyspace, victim, faultAt).ifPresent(t -> recovery.put(keyspace, t - faultAt));
                }
            }
            if (keyspaces.keySet().stream().filter(k -> owned(k, victim, strongLeader)).allMatch(recovery::containsKey)) {
                out.printf("writes to keys %s owned succeed again: %s ms after the fault%n", victim, recovery);
                return;
            }
            sleep(100);
        }
        out.printf("not every policy recovered within %d s: %s%n", timeout.toSeconds(), recovery);
    }

    /** True when the victim owned keys of the keyspace: every home's for homed keys, the primary's, or the Raft leader's. */
    private boolean owned(String keyspace, String victim, String strongLeader) {
        KeyspaceRules rules = rules(keyspaces.get(keyspace));
        return rules.homed() || rules.primary().filter(victim::equals).isPresent()
                || rules.consensus() && victim.equals(strongLeader);
    }

    private static KeyspaceRules rules(io.meridian.core.config.KeyspaceConfig keyspace) {
        return KeyspaceRules.of(keyspace.policy());
    }

    /**
     * The first write after the fault, by a client outside the victim, to a key the victim owned,
     * acknowledged by another region than the victim.
     */
    private Optional<Long> firstOwnedSuccess(String keyspace, String victim, long faultAt) {
        synchronized (writes) {
            return writes.stream().filter(w -> w.keyspace().equals(keyspace) && !w.client().equals(victim)
                            && w.sentMillis() > faultAt && w.acknowledged() && !w.servedBy().equals(victim)
                            && (w.home().isEmpty() || w.home().equals(victim)))
                    .map(Write::doneMillis).min(Long::compare);
        }
    }

    /** After the fault: wait for the victim's rejoin (if it failed over), fail it back, and time both. */
    private Map<String, Object> rejoinAndFailBack(String victim, long decisionsBefore, Duration timeout) {
        Map<String, Object> out = new LinkedHashMap<>();
        long start = System.currentTimeMillis();
        long deadline = start + timeout.toMillis();
        String survivor = urls.keySet().stream().filter(r -> !r.equals(victim)).findFirst().orElseThrow();
        while (System.currentTimeMillis() < deadline) {
            String status = regionStatus(survivor, victim);
            if (status.equals("active") && !openDecision(survivor, victim)) {
                out.put("failed_over", false);
                return out;
            }
            if (status.equals("rejoined")) {
                out.put("failed_over", true);
                out.put("rejoined_after_ms", System.currentTimeMillis() - start);
                long fb = System.currentTimeMillis();
                post(survivor, "/v1/failovers/failback?region=" + victim);
                while (System.currentTimeMillis() < deadline && !regionStatus(survivor, victim).equals("active")) {
                    sleep(100);
                }
                out.put("failback_ms", System.currentTimeMillis() - fb);
                out.put("status", regionStatus(survivor, victim));
                return out;
            }
            if (status.equals("active") && openDecision(survivor, victim)) {
                // A pending decision (manual or hybrid): the drill plays the operator and rejects it.
                for (ControlState.Decision d : failovers(survivor).decisions()) {
                    if (d.region().equals(victim) && d.status() == ControlState.DecisionStatus.PENDING) {
                        post(survivor, "/v1/failovers/" + d.id() + "/reject");
                        out.put("rejected_pending", d.id());
                    }
                }
            }
            sleep(200);
        }
        String status = regionStatus(survivor, victim);
        out.put("failed_over", !status.equals("active"));
        out.put("status", status);
        out.put("timed_out", true);
        return out;
    }

    private String regionStatus(String at, String region) {
        return failovers(at).regionNamed(region).map(FailoverView.RegionStatus::status).orElse("unknown");
    }

    private boolean openDecision(String at, String region) {
        return failovers(at).decisions().stream().anyMatch(d -> d.region().equals(region) && d.open());
    }

    private List<ControlState.Decision> decisionsSince(long before) {
        List<ControlState.Decision> all = failovers(dataRegions.getFirst()).decisions();
        return before >= all.size() ? List.of() : List.copyOf(all.subList((int) before, all.size()));
    }

    /** Waits until every data region holds the same replication watermarks. @return false if they did not in time */
    private boolean awaitConvergence(Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            Set<String> seen = new HashSet<>();
            for (String r : dataRegions) {
                seen.add(String.valueOf(client(r).cluster().replication().watermarks()));
            }
            if (seen.size() == 1) {
                return true;
            }
            sleep(250);
        }
        return false;
    }

    // ---- accounting ----

    private Map<String, Object> account(String keyspace, KeyspaceRules rules, String victim, long faultAt, long healedAt, long endAt,
                                        Map<String, Long> recovery, boolean victimLedStrong) {
        List<Write> mine;
        synchronized (writes) {
            mine = writes.stream().filter(w -> w.keyspace().equals(keyspace)).toList();
        }
        Map<String, Write> lostOnFeeds = new HashMap<>();
        long lossRecords = 0;
        long lossDuplicates = 0;
        long lossUnanswered = 0;
        if (!rules.consensus()) {
            for (String r : dataRegions) {
                java.util.Set<String> seen = new java.util.HashSet<>();
                for (MeridianClient.Conflict c : feed(r, keyspace)) {
                    if (c.lost()) {
                        lostOnFeeds.put(c.key(), null);
                        lossRecords++;
                        lossDuplicates += seen.add(c.loser().path("version").asText()) ? 0 : 1;
                        lossUnanswered += c.acknowledged().filter(a -> !a).isPresent() ? 1 : 0;
                    }
                }
            }
        }
        String reader = dataRegions.stream().filter(r -> !r.equals(victim)).findFirst().orElseThrow();
        long acknowledged = 0;
        List<Map<String, Object>> lost = new ArrayList<>();
        List<String> unaccounted = new ArrayList<>();
        for (Write w : mine) {
            if (!w.acknowledged()) {
                continue;
            }
            acknowledged++;
            Optional<String> value = get(reader, keyspace, w.key());
            if (value.isPresent() && value.get().equals(w.value())) {
                continue;
            }
            if (lostOnFeeds.containsKey(w.key())) {
                lost.add(Map.of("key", w.key(), "value", w.value(), "acknowledged_at", java.time.Instant.ofEpochMilli(w.doneMillis()).toString(),
                        "by", w.servedBy()));
            } else {
                unaccounted.add(w.key() + " (acknowledged by " + w.servedBy() + ", read " + value.orElse("nothing") + ")");
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keyspace", keyspace);
        boolean owned = owned(keyspace, victim, victimLedStrong ? victim : "");
        m.put("victim_owned_keys", owned);
        // null when the keys it owned never became writable elsewhere within the recovery timeout
        m.put("rto_ms", owned ? recovery.get(keyspace) : Long.valueOf(longestGap(mine, victim, faultAt, healedAt)));
        m.put("rpo_writes_lost", lost.size());
        if (!lost.isEmpty()) {
            List<Long> times = lost.stream().map(l -> java.time.Instant.parse((String) l.get("acknowledged_at")).toEpochMilli()).sorted().toList();
            m.put("rpo_window_ms", times.getLast() - times.getFirst());
            // When the first lost write was acknowledged, from the fault: negative is before it (a
            // write that had not shipped yet), positive is in the instant between the fault being
            // made and taking effect (SIGKILL delivery, a partition closing its sockets).
            m.put("rpo_first_lost_ms_after_fault", times.getFirst() - faultAt);
        }
        m.put("acknowledged", acknowledged);
        // Loss records on the conflict feeds: one per lost write per feed (duplicates must be 0); the
        // victim's own feed says which it never answered (its clients saw an error, not an acknowledgement).
        m.put("feed_loss_records", lossRecords);
        m.put("feed_loss_duplicates", lossDuplicates);
        m.put("feed_loss_unanswered", lossUnanswered);
        m.put("unaccounted", unaccounted.size());
        if (!unaccounted.isEmpty()) {
            m.put("unaccounted_examples", unaccounted.stream().limit(5).toList());
        }
        m.put("lost", lost.stream().limit(20).toList());
        Map<String, Integer> errors = new TreeMap<>();
        for (Write w : mine) {
            if (!w.acknowledged() && w.sentMillis() >= faultAt - 1_000 && !w.client().equals(victim)) {
                errors.merge(w.problem() == null ? "HTTP " + w.status() : w.problem(), 1, Integer::sum);
            }
        }
        m.put("errors_seen_by_other_regions", errors);
        m.put("writes_refused_in_victim", mine.stream().filter(w -> w.client().equals(victim) && !w.acknowledged()
                && w.sentMillis() >= faultAt).count());
        if (rules.singleOwner()) {
            m.put("two_writers_in_one_epoch", twoWriters(mine));
        }
        return m;
    }

    /** Homes whose keys were acknowledged by two regions under one epoch: must be none. */
    private static List<String> twoWriters(List<Write> writes) {
        Map<String, Set<String>> byHomeEpoch = new TreeMap<>();
        for (Write w : writes) {
            if (w.acknowledged() && w.epoch() > 0) {
                byHomeEpoch.computeIfAbsent(w.home() + "@epoch " + w.epoch(), k -> new TreeSet<>()).add(w.servedBy());
            }
        }
        List<String> out = new ArrayList<>();
        byHomeEpoch.forEach((k, v) -> {
            if (v.size() > 1) {
                out.add(k + ": " + v);
            }
        });
        return out;
    }

    /** The longest stretch during the fault in which a client outside the victim had a write of this keyspace fail. */
    private static long longestGap(List<Write> writes, String victim, long faultAt, long healedAt) {
        long longest = 0;
        Map<String, Long> failingSince = new HashMap<>();
        for (Write w : writes.stream().sorted(java.util.Comparator.comparingLong(Write::sentMillis)).toList()) {
            if (w.client().equals(victim) || w.sentMillis() < faultAt || w.sentMillis() > healedAt) {
                continue;
            }
            if (!w.acknowledged()) {
                failingSince.putIfAbsent(w.client(), w.sentMillis());
            } else if (failingSince.containsKey(w.client())) {
                longest = Math.max(longest, w.doneMillis() - failingSince.remove(w.client()));
            }
        }
        return longest;
    }

    /** Per reading region: how stale its region said reads of a key homed in the victim could be, over the whole drill. */
    private Map<String, Object> stalenessReport() {
        Map<String, Object> m = new LinkedHashMap<>();
        staleness.forEach((client, h) -> m.put(client, Map.of("p50_ms", h.getValueAtPercentile(50),
                "p99_ms", h.getValueAtPercentile(99), "max_ms", h.getMaxValue())));
        return m;
    }

    // ---- HTTP ----

    private Optional<String> get(String region, String keyspace, String key) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(urls.get(region) + "/v1/kv/" + keyspace + "/" + key))
                    .timeout(REQUEST_TIMEOUT).header("Meridian-Consistency", rules(keyspaces.get(keyspace)).consensus() ? "strong" : "eventual")
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
        } catch (IOException e) {
            throw new LabException("cannot read " + keyspace + "/" + key + " in " + region + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }

    /** Every conflict on {@code region}'s feed of {@code keyspace}; a region answering with a problem shows what it gave so far. */
    private List<MeridianClient.Conflict> feed(String region, String keyspace) {
        List<MeridianClient.Conflict> out = new ArrayList<>();
        long after = 0;
        while (true) {
            MeridianClient.ConflictPage page;
            try {
                page = client(region).conflicts(keyspace, after, 1_000);
            } catch (MeridianClientException e) {
                if (e.status() > 0) {
                    return out;
                }
                throw new LabException("GET " + urls.get(region) + "/v1/conflicts/" + keyspace + " failed: " + e.getMessage());
            }
            out.addAll(page.items());
            if (page.next().isEmpty()) {
                return out;
            }
            after = page.next().get();
        }
    }

    /** A client of {@code region}'s API, one per region for the drill. */
    private MeridianClient client(String region) {
        return apiClients.computeIfAbsent(region, r -> MeridianClient.connect(urls.get(r), REQUEST_TIMEOUT, tls));
    }

    /**
     * {@code region}'s failover view. A region that answers with a problem (its control plane has
     * no majority for a moment) shows nothing; one that cannot be reached stops the drill.
     */
    /** The control plane's leader as the lab's regions see it (waits up to 30 s for one that names it). */
    private String controlLeaderNow() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            for (String r : urls.keySet()) {
                try {
                    String leader = client(r).failovers().controlLeader();
                    if (leader != null && urls.containsKey(leader)) {
                        return leader;
                    }
                } catch (MeridianClientException e) {
                    // that region does not answer: ask the next
                }
            }
            Thread.sleep(500);
        }
        throw new LabException("no region names a control plane leader after 30 s");
    }

    private FailoverView failovers(String region) {
        try {
            return client(region).failovers();
        } catch (MeridianClientException e) {
            if (e.status() > 0) {
                return new FailoverView(region, "", 0, null, null, List.of(), List.of(), List.of(), List.of());
            }
            throw new LabException("GET " + urls.get(region) + "/v1/failovers failed: " + e.getMessage());
        }
    }

    private void post(String region, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(urls.get(region) + path)).timeout(Duration.ofSeconds(15))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                out.printf("POST %s answered %d: %s%n", path, r.statusCode(), r.body());
            }
        } catch (IOException e) {
            out.printf("POST %s failed: %s%n", path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
