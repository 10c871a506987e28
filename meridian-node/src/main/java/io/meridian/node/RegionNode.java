package io.meridian.node;

import io.meridian.core.api.ClusterView;
import io.meridian.core.api.ReadyView;
import io.meridian.core.api.StrongGroupView;
import io.meridian.core.KeyspaceRules;
import io.meridian.core.config.HostPort;
import io.meridian.core.config.KeyspaceConfig;
import io.meridian.core.config.MeridianConfig;
import io.meridian.core.config.RegionConfig;
import io.meridian.core.health.Readiness;
import io.meridian.node.engine.Engines;
import io.meridian.node.engine.KeyspaceEngine;
import io.meridian.node.failover.FailoverAgent;
import io.meridian.node.health.PeerProber;
import io.meridian.node.http.ApiHandler;
import io.meridian.node.http.ProblemErrorHandler;
import io.meridian.node.http.Requests;
import io.meridian.node.metrics.NodeMetrics;
import io.meridian.node.replication.ReplicationEngine;
import io.meridian.node.replication.Resolvers;
import io.meridian.node.routing.Forwarder;
import io.meridian.storage.StorageException;
import io.meridian.storage.Store;
import java.io.IOException;
import java.net.BindException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One region's node: storage, the HTTP API, the peer prober and metrics.
 * {@code create} checks the configuration against what this version can serve,
 * {@code start} opens storage and binds (port 0 picks a free port; {@link #port()} tells which),
 * {@code close} stops everything and is safe to call twice.
 *
 * <p>Requests run on platform threads, not virtual ones: synced RocksDB writes of replicated
 * keyspaces block inside JNI, which pins a virtual thread's carrier, so with two cores two writers
 * would stall every other request. Local writes hold no request thread at all: the store's writer
 * commits them in groups and answers them ({@code Exchange.answerWhen}).
 */
public final class RegionNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RegionNode.class);

    /** Enough platform threads for many writers to share one fsync; each idles cheaply. */
    static final int HTTP_THREADS_MAX = 200;
    static final int HTTP_THREADS_MIN = 8;
    /** Timeout of an idle client connection. */
    static final long IDLE_TIMEOUT_MILLIS = 60_000;

    private final MeridianConfig config;
    private final RegionConfig region;
    private final Path dataDir;
    private final NodeMetrics metrics;
    /** The clocks every shell reads; the system's in a running node. */
    private final io.meridian.core.time.Clock clock = SystemClock.INSTANCE;
    private Store store;
    private ReplicationEngine replication;
    private io.meridian.replication.strong.ConsensusServer consensus;
    private Forwarder forwarder;
    private volatile Map<String, io.meridian.node.projection.ProjectionRunner> projections = Map.of();
    private volatile Map<String, io.meridian.storage.StrongStore> strongStores = Map.of();
    private Server server;
    private PeerProber prober;
    private final NodeTls tls;
    private final java.net.http.HttpClient peerHttp;
    private FailoverAgent failover;
    private volatile io.meridian.node.canary.CanaryProber canaries;
    private io.meridian.node.tracing.Tracing tracing = io.meridian.node.tracing.Tracing.OFF;
    private int port;
    private volatile boolean closed;
    private volatile boolean draining;
    private ApiHandler api;
    /** The bytes this region exchanges with the others on the wire (see {@link io.meridian.core.cost.WanMeter}). */
    private final io.meridian.core.cost.WanMeter wan;
    /** Readings of {@link #wan} over the last hour, for {@code GET /v1/cost}'s rates. */
    private final io.meridian.core.cost.WanHistory wanHistory = new io.meridian.core.cost.WanHistory(COST_WINDOW);
    private ThreadScheduler wanReadings;
    /** The window of {@code GET /v1/cost}'s rates, and how often the meter is read for it. */
    static final java.time.Duration COST_WINDOW = java.time.Duration.ofHours(1);
    static final java.time.Duration COST_READING_EVERY = java.time.Duration.ofSeconds(10);

    private RegionNode(MeridianConfig config, RegionConfig region, Path dataDir, NodeTls tls) {
        this.config = config;
        this.tls = tls;
        this.peerHttp = tls.httpClient(java.time.Duration.ofSeconds(1)).build();
        this.region = region;
        this.dataDir = dataDir;
        this.metrics = new NodeMetrics(region.name());
        Set<String> others = new java.util.HashSet<>(config.regionNames());
        others.remove(region.name());
        this.wan = new io.meridian.core.cost.WanMeter(region.name(), others, clock.wallMillis());
    }

    /** This region's TLS ({@link NodeTls#OFF} without {@code tls} in the configuration). */
    public NodeTls tls() {
        return tls;
    }

    /** The meter of this region's bytes on the WAN. */
    public io.meridian.core.cost.WanMeter wan() {
        return wan;
    }

    /**
     * @throws NodeStartException when the region is not in the configuration or a resolver class
     *                            cannot be used
     */
    public static RegionNode create(MeridianConfig config, String regionName, Path dataDir) {
        RegionConfig region = config.region(regionName).orElseThrow(() -> new NodeStartException(
                "region '" + regionName + "' is not in the configuration; regions: " + String.join(", ", config.regionNames())));
        Resolvers.load(config); // fails start-up naming a resolver class that cannot be used
        io.meridian.node.projection.Projections.load(config); // and a projection class
        return new RegionNode(config, region, dataDir, NodeTls.of(config, regionName)); // TLS files checked before anything starts
    }

    public String region() {
        return region.name();
    }

    public int port() {
        return port;
    }

    public synchronized void start() {
        tracing = io.meridian.node.tracing.Tracing.of(region.name(), config.tracing());
        config.tracing().otlpEndpoint().ifPresent(e -> log.info("tracing requests to {} (OTLP/HTTP), sample ratio {}", e,
                config.tracing().sampleRatio()));
        List<String> keyspaces = config.keyspaces().stream().map(KeyspaceConfig::name).toList();
        Set<String> families = new java.util.HashSet<>(keyspaces);
        config.canaryKeyspace().ifPresent(k -> families.add(k.name()));
        store = Store.open(dataDir, families, clock::wallMillis);
        store.idempotencyTtl(config.replication().idempotencyTtl());
        metrics.bindStorage(store, keyspaces);
        Map<String, HostPort> peers = new LinkedHashMap<>();
        config.regions().stream().filter(r -> !r.name().equals(region.name()))
                .forEach(r -> peers.put(r.name(), config.addressFor(region.name(), r.name())));
        // With a control plane the probes are the heartbeats and carry the lease requests.
        java.time.Duration beat = config.failover().heartbeat().compareTo(config.failover().renewEvery()) < 0
                ? config.failover().heartbeat() : config.failover().renewEvery();
        java.time.Duration probeEvery = config.controlPlane() && beat.compareTo(config.probe().interval()) < 0
                ? beat : config.probe().interval();
        prober = new PeerProber(region.name(), peers, probeEvery, config.probe().timeout(), tls);
        List<String> incompatible = prober.incompatiblePeers();
        if (!incompatible.isEmpty()) {
            close();
            throw new NodeStartException("region " + region.name() + " cannot join this deployment: "
                    + String.join("; ", incompatible));
        }
        metrics.bindPeers(peers.keySet(), prober::view);
        if (tls.on()) {
            metrics.bindTls(() -> tls.certificateExpiry().map(t -> (t.toEpochMilli() - System.currentTimeMillis()) / 1000.0)
                    .orElse(Double.NaN));
        }
        if (config.controlPlane()) {
            failover = new FailoverAgent(region.name(), config, store, clock, new ThreadScheduler("failover-agent"),
                    new ThreadScheduler("failover-decider"), new ThreadScheduler("failover-resync"), tls);
            prober.onAnswer(failover::heartbeat);
            prober.tell(failover::word);
            failover.onSuspectsChanged(prober::probeNow);
            prober.onRefused(failover::refused);
            failover.roundTrips(() -> {
                Map<String, Long> rtts = new java.util.TreeMap<>();
                prober.view().forEach(p -> {
                    if (p.reachable() && !Double.isNaN(p.avgRttMillis())) {
                        rtts.put(p.region(), Math.round(p.avgRttMillis()));
                    }
                });
                return rtts;
            });
            if (failover.wantsLease()) {
                prober.requestLeases();
            }
            metrics.bindFailover(config.regionNames(), peers.keySet(), failover.wantsLease(), failover::view);
        }
        if (!region.witness() && config.keyspaces().stream().anyMatch(k -> KeyspaceRules.of(k.policy()).asynchronous())) {
            replication = new ReplicationEngine(region.name(), config, store, failover, clock,
                    new ThreadScheduler("replication-housekeeping"));
            replication.meter(wan);
            tls.peer().ifPresent(replication::tls);
            replication.tracing(tracing);
            try {
                replication.start();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            forwarder = (failover == null ? new Forwarder(region.name(), config, tls, null)
                    : new Forwarder(region.name(), config, tls, failover::epoch, failover::suspects)).traceWith(tracing);
            metrics.bindReplication(region.name(), replication.peers(), replication::view);
            metrics.bindExposure(replication.exposure().keyspaces().stream().map(io.meridian.core.api.ExposureView.Keyspace::keyspace)
                    .toList(), replication::exposure);
            io.meridian.storage.ProjectionStore projectionStore = new io.meridian.storage.ProjectionStore(store);
            Map<String, io.meridian.node.projection.ProjectionRunner> runners = new LinkedHashMap<>();
            io.meridian.node.projection.Projections.load(config).forEach((name, p) -> runners.put(name,
                    new io.meridian.node.projection.ProjectionRunner(name, p.keyspace(), p.spec().className(), p.projection(),
                            replication, projectionStore)));
            projections = java.util.Collections.unmodifiableMap(runners); // in configuration order
            runners.values().forEach(io.meridian.node.projection.ProjectionRunner::start);
            metrics.bindProjections(runners.keySet(), name -> projections.get(name).view());
        }
        strongStores = Map.of();
        if (failover != null || config.keyspaces().stream().anyMatch(k -> KeyspaceRules.of(k.policy()).consensus())) {
            strongStores = startConsensus();
        }
        if (failover != null) {
            failover.start(consensus, replication);
        }
        Map<String, KeyspaceEngine> engines = new LinkedHashMap<>();
        if (!region.witness()) {
            Engines.Context context = new Engines.Context(region.name(), config, store, replication, forwarder, failover, consensus,
                    strongStores, projections);
            config.keyspaces().forEach(k -> engines.put(k.name(), Engines.create(k, context)));
            config.canaryKeyspace().ifPresent(k -> engines.put(k.name(), Engines.create(k, context)));
        }
        api = new ApiHandler(this, config, engines, metrics, tracing);
        server = httpServer(api);
        try {
            server.start();
        } catch (Exception e) {
            close();
            Optional<BindException> bind = bindException(e);
            if (bind.isPresent()) {
                throw new NodeStartException(region.http().bindFailure("HTTP", bind.get().getMessage()), e);
            }
            throw new NodeStartException("cannot start the HTTP server on " + region.http() + ": " + e.getMessage(), e);
        }
        port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        wanReadings = new ThreadScheduler("wan-readings");
        wanReadings.every(COST_READING_EVERY, () -> wanHistory.record(wan.read(clock.wallMillis())));
        prober.start();
        if (replication != null && config.canaryKeyspace().isPresent()) {
            canaries = io.meridian.node.canary.CanaryProber.start(region.name(), config, replication, clock,
                    new ThreadScheduler("canary"), metrics, tls);
        }
        log.info("region {} serving {} with data in {}; keyspaces {}; peers {}{}", region.name(),
                tls.url(new HostPort(region.http().host(), port)), dataDir, keyspaces, peers,
                tls.on() ? " (TLS, mutual between regions, files in " + config.tls().orElseThrow().dir() + ")" : "");
    }

    /**
     * Election timeouts for groups spanning regions: about 5-7x the longest WAN round trip (216 ms
     * us-east to ap-southeast; notes/ratis.md). The client retries every 50 ms for up to 10 s, so
     * a write sent while the leader dies lands on the next leader as soon as there is one.
     */
    static final io.meridian.replication.strong.ConsensusServer.Timing WAN_TIMING =
            new io.meridian.replication.strong.ConsensusServer.Timing(
                    java.time.Duration.ofMillis(1_000), java.time.Duration.ofMillis(1_500), java.time.Duration.ofSeconds(2),
                    200, java.time.Duration.ofMillis(50),
                    100_000, 8L << 20);

    /** Starts the Raft groups of the strong keyspaces, leader preference first in each group's order. */
    private Map<String, io.meridian.storage.StrongStore> startConsensus() {
        Map<String, io.meridian.storage.StrongStore> stores = new LinkedHashMap<>();
        Map<String, List<String>> orders = new LinkedHashMap<>();
        if (failover != null) {
            orders.put(io.meridian.replication.strong.ConsensusServer.CONTROL,
                    io.meridian.core.failover.ControlPlacement.order(config.regionNames(), config.keyspaces()));
        }
        for (KeyspaceConfig k : config.keyspaces()) {
            KeyspaceRules rules = KeyspaceRules.of(k.policy());
            // A strong keyspace's group has the data regions of its residency as members: no other region is sent its log.
            List<String> members = config.dataRegionNames().stream().filter(k::mayLiveIn).toList();
            if (rules.consensus() && !region.witness() && members.contains(region.name())) {
                io.meridian.storage.StrongStore strongStore = new io.meridian.storage.StrongStore(store, k.name());
                stores.put(k.name(), strongStore);
                List<String> order = new java.util.ArrayList<>(rules.leaders());
                members.stream().filter(r -> !order.contains(r)).forEach(order::add);
                orders.put(k.name(), order);
            }
        }
        Map<String, HostPort> addresses = new LinkedHashMap<>();
        config.regionNames().forEach(r -> addresses.put(r, config.consensusAddressFor(region.name(), r).orElseThrow()));
        try {
            consensus = io.meridian.replication.strong.ConsensusServer.start(region.name(), region.consensus().orElseThrow(),
                    dataDir, orders, stores, failover == null ? null : failover.machine(), addresses, WAN_TIMING, wan,
                    tls.peer().orElse(null));
        } catch (IOException | RuntimeException e) {
            close();
            Optional<BindException> bind = bindException(e);
            if (bind.isPresent()) {
                throw new NodeStartException(region.consensus().orElseThrow().bindFailure("consensus (Raft)", bind.get().getMessage()), e);
            }
            throw new NodeStartException("cannot start consensus on " + region.consensus().orElseThrow() + ": " + e.getMessage(), e);
        }
        log.info("Raft groups {} (strong keyspaces and the control plane), leader preference {}", orders.keySet(), orders);
        metrics.bindStrongProposals(stores.keySet(), consensus::proposalCounts);
        return stores;
    }

    /** The bind failure somewhere in {@code e}'s causes, if that is what it is. */
    private static Optional<BindException> bindException(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException b) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Each strong keyspace's group as this region sees it. */
    List<StrongGroupView> strongView() {
        if (consensus == null || region.witness()) {
            return List.of();
        }
        List<StrongGroupView> views = new java.util.ArrayList<>();
        for (KeyspaceConfig k : config.keyspaces()) {
            if (KeyspaceRules.of(k.policy()).consensus() && k.mayLiveIn(region.name())) {
                try {
                    views.add(consensus.view(k.name()));
                } catch (IOException e) {
                    views.add(new StrongGroupView(k.name(), null, false, -1, -1,
                            consensus.membership(k.name())));
                }
            }
        }
        return views;
    }

    private Server httpServer(ApiHandler handler) {
        QueuedThreadPool threads = new QueuedThreadPool(HTTP_THREADS_MAX, HTTP_THREADS_MIN);
        threads.setName("http-" + region.name());
        // No reserved threads. With them, the selector thread runs a ready connection itself and wakes
        // a parked reserved thread to select next; without them, it queues the connection for the pool,
        // whose busy threads take the next one without parking. Under load the second switched threads
        // less: 64 connections of 100-byte PUTs on the lab's us-east (docs/benchmarks.md, issue 12,
        // fifteenth session) served 16,600-19,500 PUTs/s at 58-68 µs of CPU each, against 15,400-16,000
        // at 70-74 µs with Jetty's default.
        threads.setReservedThreads(0);
        Server s = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        // Keys may hold any UTF-8, '/' and '%' included: the API decodes paths itself, strictly.
        http.setUriCompliance(UriCompliance.UNSAFE);
        ServerConnector connector;
        if (tls.on()) {
            // Requests carry the client's certificate (EndPoint.SslSessionData); names are checked by certificate, not SNI.
            http.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
            // HTTP/2 for clients that offer it in the TLS handshake (ALPN), HTTP/1.1 for the others.
            HttpConnectionFactory h1 = new HttpConnectionFactory(http);
            org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory alpn = new org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory();
            alpn.setDefaultProtocol(h1.getProtocol());
            connector = new ServerConnector(s, new org.eclipse.jetty.server.SslConnectionFactory(tls.jetty(), alpn.getProtocol()), alpn,
                    new org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory(http), h1);
        } else {
            connector = new ServerConnector(s, new HttpConnectionFactory(http));
        }
        connector.setHost(region.http().host());
        connector.setPort(region.http().port());
        connector.setIdleTimeout(IDLE_TIMEOUT_MILLIS);
        connector.addEventListener(handler.wanMeter());
        s.addConnector(connector);
        s.setHandler(handler);
        s.setErrorHandler(new ProblemErrorHandler(region.name()));
        s.setStopTimeout(2_000);
        return s;
    }

    /** The deep health check: a synced probe write, then the peers as last probed. */
    public ReadyView readiness() {
        Optional<String> storageError;
        try {
            store.probeWrite();
            storageError = Optional.empty();
        } catch (StorageException e) {
            storageError = Optional.of(e.getMessage());
        }
        Readiness r = Readiness.evaluate(storageError, prober.view());
        String status = r.status().wireName();
        List<String> reasons = new java.util.ArrayList<>(r.reasons());
        Optional<String> ownership = failover == null ? Optional.empty() : failover.ownershipProblem();
        if (ownership.isPresent()) {
            // It serves reads, multi-master writes and forwards; only the keys it owns cannot be written here now.
            reasons.add(ownership.get());
            if (status.equals("ready")) {
                status = "degraded";
            }
        }
        Optional<String> expiring = tls.expiryWarning(java.time.Instant.now());
        if (expiring.isPresent()) {
            // It still serves; an operator has days to issue a new certificate (rotation needs no restart).
            reasons.add(expiring.get());
            if (status.equals("ready")) {
                status = "degraded";
            }
        }
        if (draining) {
            status = "draining";
            reasons.add("stopping: a planned restart");
        }
        return new ReadyView(status, region.name(), storageError.isEmpty(),
                peerViews(), reasons);
    }

    public boolean isWitness() {
        return region.witness();
    }

    /**
     * A planned stop's first part, before {@link #close}: new requests are refused with 503 (a
     * client of several regions takes them elsewhere) and readiness says {@code draining}; the
     * strong groups this region leads are handed to another member; then it waits, at most
     * {@code within}, for the requests in flight to be answered.
     *
     * @return the requests still in flight when it stopped waiting
     */
    public int drain(java.time.Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        draining = true;
        log.info("region {} draining: new requests refused, leadership handed over, requests in flight answered", region.name());
        if (consensus != null) {
            consensus.stepDown();
        }
        while (api != null && api.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = api == null ? 0 : api.inFlight();
        log.info("region {} drained: {} requests still in flight", region.name(), left);
        return left;
    }

    /** True from {@link #drain} on: requests are refused, the node is about to stop. */
    public boolean draining() {
        return draining;
    }

    /** True once the node began to stop: long answers (streams) end. */
    public boolean closed() {
        return closed;
    }

    /** The failover agent, or null when regions do not fail over. */
    public FailoverAgent failover() {
        return failover;
    }

    public void resetReplicationStats() {
        if (replication != null) {
            replication.resetStats();
        }
    }

    /** The projections this region runs, by name (none in a witness, or without event-log keyspaces). */
    public Map<String, io.meridian.node.projection.ProjectionRunner> projections() {
        return projections;
    }

    /** A peer's heartbeat asks for its write lease: granted or refused (false without a control plane). */
    public boolean grantLease(String requester) {
        return failover != null && failover.grant(requester);
    }

    /** A peer said this on its heartbeat; ignored without a control plane, or from a region not configured. */
    public void heard(String peer, io.meridian.core.failover.PeerWord word) {
        if (failover != null && config.region(peer).isPresent()) {
            failover.heard(peer, word);
        }
    }

    /** What this region tells its peers on heartbeat answers; empty without a control plane. */
    public java.util.Optional<io.meridian.core.failover.PeerWord> word() {
        return failover == null ? java.util.Optional.empty() : java.util.Optional.of(failover.word());
    }

    public ClusterView clusterView() {
        List<ClusterView.Region> regions = config.regions().stream()
                .map(r -> new ClusterView.Region(r.name(), r.location(), tls.url(r.http()))).toList();
        List<ClusterView.Keyspace> keyspaces = config.keyspaces().stream().map(ClusterView.Keyspace::of).toList();
        return new ClusterView(region.name(), regions, keyspaces, peerViews(),
                replication == null ? null : replication.view(), consensus == null ? null : strongView(),
                projections.values().stream().map(io.meridian.node.projection.ProjectionRunner::view).toList(),
                exposureEverywhere());
    }

    private List<ClusterView.Peer> peerViews() {
        long now = clock.wallMillis();
        return prober.view().stream().map(p -> ClusterView.Peer.of(p, now)).toList();
    }

    /** {@code GET /v1/status}: what this region knows of itself now, without asking another region. */
    public io.meridian.core.api.StatusView status() {
        io.meridian.node.canary.CanaryProber c = canaries;
        return new io.meridian.core.api.StatusView(region.name(), region.location(), region.witness(), clock.wallMillis(),
                peerViews(), prober.interval().toMillis(), replication == null ? null : replication.view(),
                c == null ? null : c.view(), region.witness() ? null : exposure(), consensus == null ? null : strongView(),
                metrics.requestTotals(), failover == null || region.witness() ? null : failover.leaseView());
    }

    /** {@code GET path} of {@code peer}, over the link this region reaches it by, answered within a second or failed. */
    private java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>> askPeer(String peer, String path) {
        return peerHttp.sendAsync(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(tls.url(config.addressFor(region.name(), peer)) + path))
                .header(io.meridian.core.Headers.REGION, region.name())
                .timeout(java.time.Duration.ofSeconds(1)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    }

    /** {@code GET /v1/cost/counters}: this region's WAN counters now, where its window of the last hour starts, and its round trips. */
    public io.meridian.core.api.WanCountersView wanCounters() {
        io.meridian.core.cost.WanCounters now = wan.read(clock.wallMillis());
        Map<String, Double> rtt = new java.util.TreeMap<>();
        if (prober != null) {
            for (io.meridian.core.health.PeerHealth p : prober.view()) {
                if (!Double.isNaN(p.avgRttMillis())) {
                    rtt.put(p.region(), p.avgRttMillis());
                }
            }
        }
        return new io.meridian.core.api.WanCountersView(now, wanHistory.baseline(now), rtt);
    }

    /** Every region's WAN counters as they answered within a second, and why the others did not. */
    private record Gathered(Map<String, io.meridian.core.cost.CostReport.Reading> readings,
                            Map<String, Map<String, Double>> rttMs, Map<String, String> unavailable) {
    }

    private java.util.concurrent.CompletableFuture<Gathered> gatherCounters() {
        Map<String, java.util.concurrent.CompletableFuture<io.meridian.core.api.WanCountersView>> asked = new LinkedHashMap<>();
        Map<String, String> unavailable = new java.util.concurrent.ConcurrentHashMap<>();
        for (String r : config.regionNames()) {
            if (r.equals(region.name())) {
                asked.put(r, java.util.concurrent.CompletableFuture.completedFuture(wanCounters()));
                continue;
            }
            asked.put(r, askPeer(r, "/v1/cost/counters").thenApply(response -> {
                if (response.statusCode() != 200) {
                    unavailable.put(r, "answered " + response.statusCode());
                    return null;
                }
                try {
                    return io.meridian.core.api.ApiJson.MAPPER.readValue(response.body(), io.meridian.core.api.WanCountersView.class);
                } catch (java.io.IOException e) {
                    unavailable.put(r, "answered something else than counters: " + e.getMessage());
                    return null;
                }
            }).exceptionally(e -> {
                Throwable why = e.getCause() == null ? e : e.getCause();
                unavailable.put(r, "no answer to " + region.name() + ": "
                        + (why instanceof java.net.http.HttpTimeoutException ? "none within a second" : String.valueOf(why.getMessage())));
                return null;
            }));
        }
        return java.util.concurrent.CompletableFuture.allOf(asked.values().toArray(java.util.concurrent.CompletableFuture[]::new))
                .thenApply(done -> {
                    Map<String, io.meridian.core.cost.CostReport.Reading> readings = new LinkedHashMap<>();
                    Map<String, Map<String, Double>> rtt = new LinkedHashMap<>();
                    asked.forEach((r, f) -> {
                        io.meridian.core.api.WanCountersView v = f.join();
                        if (v != null) {
                            readings.put(r, new io.meridian.core.cost.CostReport.Reading(v.now(), v.baseline()));
                            rtt.put(r, v.rttMs());
                        }
                    });
                    return new Gathered(readings, rtt, unavailable);
                });
    }

    /**
     * {@code GET /v1/cost}: every region's counters put together ({@link io.meridian.core.cost.CostReport}),
     * this region's and each peer's as it answers {@code /v1/cost/counters} within a second.
     */
    public java.util.concurrent.CompletableFuture<io.meridian.core.api.CostView> costEverywhere() {
        return gatherCounters().thenApply(g -> io.meridian.core.cost.CostReport.compute(config.regionNames(), g.readings(),
                g.unavailable(), config.cost(), clock.wallMillis()));
    }

    /**
     * {@code GET /v1/cost/what-if}: what {@code change} would do to the keyspace's cost and latency,
     * from every region's counters and round trips ({@link io.meridian.core.cost.WhatIf}). A change
     * that cannot apply is refused at once.
     */
    public java.util.concurrent.CompletableFuture<io.meridian.core.api.WhatIfView> whatIf(KeyspaceConfig keyspace,
                                                                                        io.meridian.core.cost.WhatIf.Change change) {
        io.meridian.core.cost.WhatIf.check(keyspace, change, config.dataRegionNames());
        return gatherCounters().thenApply(g -> io.meridian.core.cost.WhatIf.compute(keyspace, change, config.dataRegionNames(),
                g.readings(), g.rttMs(), g.unavailable(), config.cost(), clock.wallMillis()));
    }

    /** Every region's {@link #status()}, this one's and each peer's as it answers within a second. */
    public java.util.concurrent.CompletableFuture<Map<String, Object>> statusEverywhere() {
        Map<String, java.util.concurrent.CompletableFuture<Object>> asked = new LinkedHashMap<>();
        for (RegionConfig r : config.regions()) {
            if (r.name().equals(region.name())) {
                asked.put(r.name(), java.util.concurrent.CompletableFuture.completedFuture(status()));
                continue;
            }
            asked.put(r.name(), askPeer(r.name(), "/v1/status").<Object>thenApply(response -> {
                        if (response.statusCode() != 200) {
                            return Map.of("region", r.name(), "error", "answered " + response.statusCode());
                        }
                        try {
                            return io.meridian.core.api.ApiJson.MAPPER.readTree(response.body());
                        } catch (java.io.IOException e) {
                            return Map.of("region", r.name(), "error", "answered something else than a status: " + e.getMessage());
                        }
                    })
                    .exceptionally(e -> {
                        Throwable why = e.getCause() == null ? e : e.getCause();
                        return Map.of("region", r.name(), "error", "no answer to " + region.name() + ": "
                                + (why instanceof java.net.http.HttpTimeoutException ? "none within a second" : String.valueOf(why.getMessage())));
                    }));
        }
        return java.util.concurrent.CompletableFuture.allOf(asked.values().toArray(java.util.concurrent.CompletableFuture[]::new))
                .thenApply(done -> {
                    Map<String, Object> out = new LinkedHashMap<>();
                    asked.forEach((name, f) -> out.put(name, f.join()));
                    return out;
                });
    }

    /** {@code GET /v1/canary}: what this region's canary probes measured; empty where none run. */
    public Optional<io.meridian.core.api.CanaryView> canaryView() {
        io.meridian.node.canary.CanaryProber c = canaries;
        return c == null ? Optional.empty() : Optional.of(c.view());
    }

    /** {@code GET /v1/exposure}: what losing this region now would lose (nothing, in a region that replicates nothing). */
    public io.meridian.core.api.ExposureView exposure() {
        return replication != null ? replication.exposure()
                : new io.meridian.core.api.ExposureView(region.name(), 0, 0, Map.of(), 0, 0, 0, List.of(), 0, 0, 0);
    }

    /**
     * Every data region's exposure: this one's, and each peer's as it answers {@code /v1/exposure}
     * now (asked in parallel, one second at most; a region that does not answer is left out).
     */
    private Map<String, io.meridian.core.api.ExposureView> exposureEverywhere() {
        Map<String, io.meridian.core.api.ExposureView> out = new java.util.TreeMap<>();
        if (replication == null && !region.witness()) {
            return out;
        }
        Map<String, java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>>> asked = new LinkedHashMap<>();
        for (String peer : config.dataRegionNames()) {
            if (peer.equals(region.name())) {
                continue;
            }
            asked.put(peer, askPeer(peer, "/v1/exposure"));
        }
        if (replication != null) {
            out.put(region.name(), replication.exposure());
        }
        asked.forEach((peer, answer) -> {
            try {
                java.net.http.HttpResponse<byte[]> r = answer.get(2, java.util.concurrent.TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    out.put(peer, io.meridian.core.api.ApiJson.read(r.body(), io.meridian.core.api.ExposureView.class));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // not answering: left out
            }
        });
        return out;
    }

    /** The region of {@code candidates} to send a client to: this one if listed, else the nearest by measured round trip. */
    public String nearestOf(List<String> candidates) {
        return io.meridian.core.health.Nearest.of(candidates, region.name(), prober == null ? List.of() : prober.view());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (canaries != null) {
            canaries.close();
        }
        if (wanReadings != null) {
            wanReadings.close();
        }
        projections.values().forEach(io.meridian.node.projection.ProjectionRunner::close);
        strongStores.values().forEach(io.meridian.storage.StrongStore::close); // change-feed subscriptions end
        if (prober != null) {
            prober.close();
        }
        if (failover != null) {
            failover.close();
        }
        if (forwarder != null) {
            forwarder.close();
        }
        if (replication != null) {
            replication.close();
        }
        if (consensus != null) {
            try {
                consensus.close();
            } catch (IOException e) {
                log.warn("consensus of {} did not stop cleanly: {}", region.name(), e.toString());
            }
        }
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                log.warn("HTTP server of {} did not stop cleanly: {}", region.name(), e.toString());
            }
        }
        if (store != null) {
            store.close();
        }
        tracing.close(); // after the server: the last requests' spans go too
        metrics.close();
        log.info("region {} stopped", region.name());
    }
}
